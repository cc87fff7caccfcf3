import type { Migration } from './index.js';

/**
 * Issue 13: one transaction per decision. The event, the incident change and an `outbox` row commit
 * together; each sink (sockets, panel acks, webhooks, audit, clips, PTZ, verification) reads the
 * outbox from its own cursor. Maintenance tickets belong to one device and track its faults, so a
 * camera that blips cannot close the ticket of a dead panel. `incident_zones` and `event_count` keep
 * what correlation reads about an incident constant in size however many events join it.
 */
export const outbox: Migration = {
  version: 12,
  name: 'outbox',
  sql: `
    CREATE TABLE outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      topic TEXT NOT NULL,
      incident_id TEXT,
      site TEXT,
      jurisdiction TEXT,
      payload TEXT NOT NULL
    );
    CREATE INDEX outbox_at ON outbox(at);

    CREATE TABLE outbox_cursors (
      sink TEXT PRIMARY KEY,
      seq INTEGER NOT NULL,
      updated_at TEXT NOT NULL
    );

    ALTER TABLE incidents ADD COLUMN device TEXT;
    ALTER TABLE incidents ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE incidents ADD COLUMN last_event_at TEXT;
    CREATE INDEX incidents_open_device ON incidents(site, kind, device, state);

    UPDATE incidents SET
      event_count = (SELECT COUNT(*) FROM incident_events ie WHERE ie.incident_id = incidents.id),
      last_event_at = (SELECT MAX(e.received_at) FROM incident_events ie JOIN events e ON e.key = ie.event_key
                       WHERE ie.incident_id = incidents.id);
    UPDATE incidents SET device = (
      SELECT e.device FROM incident_events ie JOIN events e ON e.key = ie.event_key
      WHERE ie.incident_id = incidents.id ORDER BY e.received_at LIMIT 1)
    WHERE kind = 'maintenance';

    CREATE TABLE incident_faults (
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      device TEXT NOT NULL,
      fault TEXT NOT NULL,
      opened_at TEXT NOT NULL,
      event_key TEXT NOT NULL,
      cleared_at TEXT,
      cleared_by TEXT,
      PRIMARY KEY (incident_id, device, fault)
    );
    -- Tickets opened before faults were tracked: one fault their device's next restore clears.
    INSERT INTO incident_faults (incident_id, device, fault, opened_at, event_key)
      SELECT id, device, 'legacy', opened_at, '' FROM incidents
      WHERE kind = 'maintenance' AND device IS NOT NULL
        AND state IN ('new', 'acknowledged', 'dispatched', 'on_scene');

    CREATE TABLE incident_zones (
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      device TEXT NOT NULL,
      zone TEXT NOT NULL,
      type TEXT NOT NULL,
      PRIMARY KEY (incident_id, device, zone, type)
    );
    INSERT OR IGNORE INTO incident_zones (incident_id, device, zone, type)
      SELECT ie.incident_id, e.device, COALESCE(e.zone, ''), e.type
      FROM incident_events ie JOIN events e ON e.key = ie.event_key
      JOIN incidents i ON i.id = ie.incident_id
      WHERE i.state IN ('new', 'acknowledged', 'dispatched', 'on_scene');
  `,
};
