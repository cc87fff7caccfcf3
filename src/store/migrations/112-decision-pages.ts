import type { Migration } from './index.js';

/**
 * Issue 13: fewer pages written by each decision. A decision's commit writes a page of every b-tree it
 * touches, and its fsync and SQLite's checkpoint (every 1,000 pages written) grow with them: 26.5 pages
 * for a panic that opens an incident before this migration.
 * - `incidents_open_device` led the decision's device read until `incidents_open` (111) took it over;
 *   what else it served (a site's incidents) `incidents_site_state` serves.
 * - `incidents_closed` served no query: nothing selects incidents by closing time.
 * - `outbox_at` served only `Outbox.purge`, which nothing called (removed with it).
 * - `incident_events` and `incident_zones` are small rows read by their keys (and `incident_events`
 *   by its event, through its index). Without a rowid each is one b-tree instead of a table and its
 *   key's index. `incident_plans` keeps its rowid: its rows carry the plan's steps, and keyed by the
 *   incident they were split among more pages (2.85 a decision, against 2.2 as a table and an index).
 * PostgreSQL's tables are heaps with their key's index either way: there only the three indexes go.
 */
export const decisionPages: Migration = {
  version: 112,
  name: 'decision-pages',
  sql: `
    DROP INDEX incidents_open_device;
    DROP INDEX incidents_closed;
    DROP INDEX outbox_at;

    CREATE TABLE incident_events_keyed (
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      event_key TEXT NOT NULL REFERENCES events(key),
      PRIMARY KEY (incident_id, event_key)
    ) WITHOUT ROWID;
    INSERT INTO incident_events_keyed (incident_id, event_key)
      SELECT incident_id, event_key FROM incident_events;
    DROP TABLE incident_events;
    ALTER TABLE incident_events_keyed RENAME TO incident_events;
    CREATE INDEX incident_events_event ON incident_events(event_key);

    CREATE TABLE incident_zones_keyed (
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      device TEXT NOT NULL,
      zone TEXT NOT NULL,
      type TEXT NOT NULL,
      PRIMARY KEY (incident_id, device, zone, type)
    ) WITHOUT ROWID;
    INSERT INTO incident_zones_keyed (incident_id, device, zone, type)
      SELECT incident_id, device, zone, type FROM incident_zones;
    DROP TABLE incident_zones;
    ALTER TABLE incident_zones_keyed RENAME TO incident_zones;
  `,
  postgres: `
    DROP INDEX incidents_open_device;
    DROP INDEX incidents_closed;
    DROP INDEX outbox_at;
  `,
};
