import type { Migration } from './index.js';

/**
 * Issue 19: the reporting projection. Reports read these tables (on a read-only connection in a
 * worker thread), never the incident tables the alarm path writes. An outbox sink keeps them current;
 * times are epoch milliseconds so durations are integer arithmetic on SQLite and PostgreSQL alike, and
 * `local_day`/`local_hour` are the opening time on the rating zone's calendar.
 * `report_tree` is the jurisdiction tree as (ancestor, node) pairs, rewritten from config at start, so
 * "in the subtree of" and "per child of" are joins.
 */
export const reports: Migration = {
  version: 90,
  name: 'reports',
  sql: `
    CREATE TABLE report_incidents (
      incident_id TEXT PRIMARY KEY,
      site TEXT NOT NULL,
      jurisdiction TEXT NOT NULL,
      kind TEXT NOT NULL,
      type TEXT NOT NULL,
      rule TEXT NOT NULL,
      priority INTEGER NOT NULL,
      state TEXT NOT NULL,
      confirmed INTEGER NOT NULL,
      opened_ms INTEGER NOT NULL,
      local_day TEXT NOT NULL,
      local_hour INTEGER NOT NULL,
      ack_ms INTEGER,
      dispatch_ms INTEGER,
      arrive_ms INTEGER,
      closed_ms INTEGER,
      escalations INTEGER NOT NULL,
      escalated_ms INTEGER,
      escalated_to TEXT,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX report_incidents_opened ON report_incidents(opened_ms);
    CREATE INDEX report_incidents_jurisdiction ON report_incidents(jurisdiction, opened_ms);
    CREATE INDEX report_incidents_site ON report_incidents(site, opened_ms);
    CREATE INDEX report_incidents_kind ON report_incidents(kind, opened_ms);

    CREATE TABLE report_dispatches (
      incident_id TEXT NOT NULL,
      unit TEXT NOT NULL,
      site TEXT NOT NULL,
      jurisdiction TEXT NOT NULL,
      opened_ms INTEGER NOT NULL,
      dispatched_ms INTEGER NOT NULL,
      arrived_ms INTEGER,
      closed_ms INTEGER,
      PRIMARY KEY (incident_id, unit)
    );
    CREATE INDEX report_dispatches_unit ON report_dispatches(unit, dispatched_ms);
    CREATE INDEX report_dispatches_at ON report_dispatches(dispatched_ms);

    CREATE TABLE report_outages (
      device TEXT NOT NULL,
      device_kind TEXT NOT NULL,
      site TEXT NOT NULL,
      jurisdiction TEXT NOT NULL,
      start_ms INTEGER NOT NULL,
      end_ms INTEGER,
      start_event TEXT NOT NULL,
      end_event TEXT,
      PRIMARY KEY (device, start_ms)
    );
    CREATE INDEX report_outages_start ON report_outages(start_ms);
    CREATE INDEX report_outages_open ON report_outages(device, end_ms);

    CREATE TABLE report_tree (
      ancestor TEXT NOT NULL,
      node TEXT NOT NULL,
      PRIMARY KEY (ancestor, node)
    );
    CREATE INDEX report_tree_node ON report_tree(node);

    CREATE TABLE report_sites (
      site TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      jurisdiction TEXT NOT NULL,
      first_seen_ms INTEGER NOT NULL,
      configured INTEGER NOT NULL
    );
    CREATE INDEX report_sites_jurisdiction ON report_sites(jurisdiction);

    CREATE TABLE report_state (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
  `,
};
