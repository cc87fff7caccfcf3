import type { Migration } from './index.js';

/**
 * Issue 17: test mode per site or panel (and the events it took), runaway devices, and the storm
 * mode a supervisor sets on a jurisdiction node (and the events it holds).
 */
export const testRunawayStorm: Migration = {
  version: 102,
  name: 'test-runaway-storm',
  sql: `
    CREATE TABLE test_modes (
      id TEXT PRIMARY KEY,
      site TEXT NOT NULL,
      panel TEXT,
      reason TEXT NOT NULL,
      by_user TEXT NOT NULL,
      started_at TEXT NOT NULL,
      ends_at TEXT NOT NULL,
      ended_at TEXT,
      ended_by TEXT
    );
    CREATE INDEX test_modes_site ON test_modes(site, started_at);
    CREATE INDEX test_modes_open ON test_modes(ended_at, ends_at);

    CREATE TABLE test_events (
      event_key TEXT PRIMARY KEY REFERENCES events(key),
      test_mode TEXT NOT NULL REFERENCES test_modes(id),
      at TEXT NOT NULL
    );
    CREATE INDEX test_events_mode ON test_events(test_mode, at);

    CREATE TABLE runaways (
      id TEXT PRIMARY KEY,
      device TEXT NOT NULL,
      site TEXT NOT NULL,
      since TEXT NOT NULL,
      incident_id TEXT,
      ticket_id TEXT,
      ticket_raised INTEGER NOT NULL DEFAULT 0,
      reported INTEGER NOT NULL DEFAULT 0,
      cleared_at TEXT,
      clear_raised INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX runaways_device ON runaways(device, cleared_at);
    CREATE INDEX runaways_open ON runaways(cleared_at, clear_raised);

    CREATE TABLE storms (
      id TEXT PRIMARY KEY,
      node TEXT NOT NULL,
      categories TEXT NOT NULL,
      action TEXT NOT NULL,
      reason TEXT NOT NULL,
      by_user TEXT NOT NULL,
      started_at TEXT NOT NULL,
      ends_at TEXT NOT NULL,
      ended_at TEXT,
      ended_by TEXT,
      released_at TEXT
    );
    CREATE INDEX storms_open ON storms(released_at, ends_at);

    CREATE TABLE held_events (
      event_key TEXT PRIMARY KEY REFERENCES events(key),
      storm TEXT NOT NULL REFERENCES storms(id),
      category TEXT NOT NULL,
      at TEXT NOT NULL,
      released_at TEXT,
      outcome TEXT
    );
    CREATE INDEX held_events_storm ON held_events(storm, released_at);
  `,
};
