import type { NormalizedEvent } from '../core/events.js';
import type { EventRepository } from './repositories.js';
import type { Db } from './sqlite.js';

interface EventRow {
  key: string;
  source: string;
  device: string;
  site: string;
  type: string;
  zone: string | null;
  cid: string | null;
  ts: string;
  received_at: string;
  detail: string | null;
}

export function rowToEvent(r: EventRow): NormalizedEvent {
  const ev: NormalizedEvent = {
    key: r.key,
    source: r.source as NormalizedEvent['source'],
    device: r.device,
    site: r.site,
    type: r.type as NormalizedEvent['type'],
    ts: r.ts,
    receivedAt: r.received_at,
  };
  if (r.zone !== null) ev.zone = r.zone;
  if (r.cid !== null) ev.cid = r.cid;
  if (r.detail !== null) ev.detail = JSON.parse(r.detail) as Record<string, unknown>;
  return ev;
}

export class SqliteEventRepository implements EventRepository {
  private readonly insertStmt;
  private readonly insertAll;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO events (key, source, device, site, type, zone, cid, ts, received_at, detail)
       VALUES (@key, @source, @device, @site, @type, @zone, @cid, @ts, @receivedAt, @detail)
       ON CONFLICT(key) DO NOTHING`,
    );
    // One transaction (one fsync) for a whole batch: group commit is what makes durable ingest fast.
    this.insertAll = db.transaction((events: readonly NormalizedEvent[]) =>
      events.map(
        (e) =>
          this.insertStmt.run({
            key: e.key,
            source: e.source,
            device: e.device,
            site: e.site,
            type: e.type,
            zone: e.zone ?? null,
            cid: e.cid ?? null,
            ts: e.ts,
            receivedAt: e.receivedAt,
            detail: e.detail ? JSON.stringify(e.detail) : null,
          }).changes === 1,
      ),
    );
  }

  async insertMany(events: readonly NormalizedEvent[]): Promise<boolean[]> {
    if (events.length === 0) return [];
    return this.insertAll(events);
  }

  async get(key: string): Promise<NormalizedEvent | undefined> {
    const r = this.db.prepare('SELECT * FROM events WHERE key = ?').get(key) as EventRow | undefined;
    return r ? rowToEvent(r) : undefined;
  }

  async uncorrelated(limit: number): Promise<NormalizedEvent[]> {
    const rows = this.db
      .prepare('SELECT * FROM events WHERE correlated_at IS NULL ORDER BY received_at, rowid LIMIT ?')
      .all(limit) as EventRow[];
    return rows.map(rowToEvent);
  }

  async markCorrelated(keys: readonly string[], at: string): Promise<void> {
    const stmt = this.db.prepare('UPDATE events SET correlated_at = ? WHERE key = ?');
    this.db.transaction(() => {
      for (const k of keys) stmt.run(at, k);
    })();
  }

  async listForSite(site: string, limit: number): Promise<NormalizedEvent[]> {
    const rows = this.db
      .prepare('SELECT * FROM events WHERE site = ? ORDER BY received_at DESC LIMIT ?')
      .all(site, limit) as EventRow[];
    return rows.map(rowToEvent);
  }

  async incidentOf(key: string): Promise<string | undefined> {
    const r = this.db
      .prepare('SELECT incident_id FROM incident_events WHERE event_key = ? LIMIT 1')
      .get(key) as { incident_id: string } | undefined;
    return r?.incident_id;
  }
}
