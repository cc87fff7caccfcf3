import type { Migration } from './index.js';

/**
 * Panel supervision state: last-seen times survive a restart so supervision timers are recomputed
 * from them; commands sent to panels and their replies.
 */
export const panels: Migration = {
  version: 20,
  name: 'panels',
  sql: `
    CREATE TABLE panel_state (
      panel_id TEXT PRIMARY KEY,
      last_seen TEXT,
      online INTEGER NOT NULL DEFAULT 0,
      comm_lost_since TEXT,
      armed TEXT,
      battery REAL,
      mains INTEGER,
      updated_at TEXT NOT NULL
    );

    CREATE TABLE panel_commands (
      request_id TEXT PRIMARY KEY,
      panel_id TEXT NOT NULL,
      command TEXT NOT NULL,
      state TEXT NOT NULL,
      requested_by TEXT NOT NULL,
      requested_at TEXT NOT NULL,
      replied_at TEXT,
      error TEXT
    );
    CREATE INDEX panel_commands_panel ON panel_commands(panel_id, requested_at);
  `,
};
