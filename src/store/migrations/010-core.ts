import type { Migration } from './index.js';

/** Event core (issue 4): confirmation, site arm state, units on incidents, notes, escalation lookups. */
export const core: Migration = {
  version: 10,
  name: 'core',
  sql: `
    ALTER TABLE incidents ADD COLUMN confirmed_by TEXT;
    ALTER TABLE incidents ADD COLUMN confirmed_at TEXT;
    CREATE INDEX incidents_state_opened ON incidents(state, opened_at);
    CREATE INDEX incidents_closed ON incidents(closed_at);

    CREATE TABLE site_states (
      site TEXT PRIMARY KEY,
      armed INTEGER NOT NULL,
      mode TEXT NOT NULL,
      changed_at TEXT NOT NULL,
      event_key TEXT
    );

    CREATE TABLE incident_units (
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      unit TEXT NOT NULL,
      dispatched_at TEXT NOT NULL,
      dispatched_by TEXT NOT NULL,
      arrived_at TEXT,
      PRIMARY KEY (incident_id, unit)
    );
    CREATE INDEX incident_units_unit ON incident_units(unit, dispatched_at);

    CREATE TABLE incident_notes (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      by_user TEXT NOT NULL,
      at TEXT NOT NULL,
      text TEXT NOT NULL
    );
    CREATE INDEX incident_notes_incident ON incident_notes(incident_id);
  `,
};
