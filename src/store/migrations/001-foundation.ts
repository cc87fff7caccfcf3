import type { Migration } from './index.js';

export const foundation: Migration = {
  version: 1,
  name: 'foundation',
  sql: `
    CREATE TABLE events (
      key TEXT PRIMARY KEY,
      source TEXT NOT NULL,
      device TEXT NOT NULL,
      site TEXT NOT NULL,
      type TEXT NOT NULL,
      zone TEXT,
      cid TEXT,
      ts TEXT NOT NULL,
      received_at TEXT NOT NULL,
      detail TEXT,
      correlated_at TEXT
    );
    CREATE INDEX events_site_time ON events(site, received_at);
    CREATE INDEX events_uncorrelated ON events(correlated_at) WHERE correlated_at IS NULL;

    CREATE TABLE incidents (
      id TEXT PRIMARY KEY,
      site TEXT NOT NULL,
      jurisdiction TEXT NOT NULL,
      priority INTEGER NOT NULL,
      state TEXT NOT NULL,
      rule TEXT NOT NULL,
      kind TEXT NOT NULL DEFAULT 'alarm',
      confirmed INTEGER NOT NULL DEFAULT 1,
      opened_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      acknowledged_at TEXT,
      closed_at TEXT
    );
    CREATE INDEX incidents_site_state ON incidents(site, state);
    CREATE INDEX incidents_jurisdiction_opened ON incidents(jurisdiction, opened_at);
    CREATE INDEX incidents_opened ON incidents(opened_at);

    CREATE TABLE incident_events (
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      event_key TEXT NOT NULL REFERENCES events(key),
      PRIMARY KEY (incident_id, event_key)
    );
    CREATE INDEX incident_events_event ON incident_events(event_key);

    CREATE TABLE transitions (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      from_state TEXT,
      to_state TEXT NOT NULL,
      by_user TEXT NOT NULL,
      at TEXT NOT NULL,
      note TEXT
    );
    CREATE INDEX transitions_incident ON transitions(incident_id);

    CREATE TABLE escalations (
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      step INTEGER NOT NULL,
      kind TEXT NOT NULL,
      jurisdiction TEXT NOT NULL,
      at TEXT NOT NULL,
      PRIMARY KEY (incident_id, step)
    );

    CREATE TABLE clips (
      id TEXT PRIMARY KEY,
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      camera TEXT NOT NULL,
      url TEXT NOT NULL,
      start TEXT NOT NULL,
      end TEXT NOT NULL,
      sha256 TEXT NOT NULL
    );
    CREATE INDEX clips_incident ON clips(incident_id);

    CREATE TABLE users (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      username TEXT NOT NULL UNIQUE,
      password_hash TEXT NOT NULL,
      role TEXT NOT NULL,
      scope TEXT NOT NULL,
      display_name TEXT,
      created_at TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE sessions (
      token_hash TEXT PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id),
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    );
    CREATE INDEX sessions_expiry ON sessions(expires_at);
  `,
};
