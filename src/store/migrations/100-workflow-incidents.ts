import type { Migration } from './index.js';

/**
 * Issue 17, the alarm-centre workflow on each incident: its action plan and each step's outcome, the
 * calls down the site's call list, who holds it, how it was confirmed and where it was forwarded.
 */
export const workflowIncidents: Migration = {
  version: 100,
  name: 'workflow-incidents',
  sql: `
    CREATE TABLE incident_plans (
      incident_id TEXT PRIMARY KEY REFERENCES incidents(id),
      name TEXT NOT NULL,
      steps TEXT NOT NULL,
      priority INTEGER NOT NULL,
      chosen_at TEXT NOT NULL
    );

    CREATE TABLE incident_steps (
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      step_id TEXT NOT NULL,
      outcome TEXT NOT NULL,
      note TEXT,
      by_user TEXT NOT NULL,
      at TEXT NOT NULL,
      PRIMARY KEY (incident_id, step_id)
    );

    CREATE TABLE incident_calls (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      contact INTEGER NOT NULL,
      name TEXT NOT NULL,
      phone TEXT NOT NULL,
      role TEXT,
      result TEXT NOT NULL,
      note TEXT,
      by_user TEXT NOT NULL,
      at TEXT NOT NULL
    );
    CREATE INDEX incident_calls_incident ON incident_calls(incident_id, seq);

    CREATE TABLE incident_owners (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      owner TEXT NOT NULL,
      since TEXT NOT NULL,
      via TEXT NOT NULL,
      released_at TEXT,
      released_by TEXT
    );
    CREATE INDEX incident_owners_incident ON incident_owners(incident_id, released_at);

    CREATE TABLE incident_confirmations (
      incident_id TEXT PRIMARY KEY REFERENCES incidents(id),
      rule TEXT NOT NULL,
      kind TEXT NOT NULL,
      by_user TEXT NOT NULL,
      at TEXT NOT NULL,
      event_key TEXT,
      detail TEXT
    );

    CREATE TABLE incident_forwards (
      incident_id TEXT PRIMARY KEY REFERENCES incidents(id),
      station TEXT NOT NULL,
      by_user TEXT NOT NULL,
      at TEXT NOT NULL,
      evidence TEXT NOT NULL
    );
  `,
};
