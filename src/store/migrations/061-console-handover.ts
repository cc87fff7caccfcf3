import type { Migration } from './index.js';

/**
 * Shift handover (issue 21): what one shift leaves for the next at a desk, kept server-side so the
 * next shift reads it at any desk of the node and a supervisor reads every desk below theirs.
 */
export const consoleHandover: Migration = {
  version: 61,
  name: 'console-handover',
  sql: `
    CREATE TABLE console_handover_notes (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      jurisdiction TEXT NOT NULL,
      author TEXT NOT NULL,
      shift TEXT NOT NULL,
      text TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX console_handover_notes_node_time ON console_handover_notes(jurisdiction, created_at);
  `,
};
