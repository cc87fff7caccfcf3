import type { Kysely } from 'kysely';
import type { NormalizedEvent } from '../core/events.js';
import type { DB, EventsTable } from './db-types.js';
import type { EventRepository } from './repositories.js';

export function rowToEvent(r: Omit<EventsTable, 'correlated_at'>): NormalizedEvent {
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

/** The event's columns as the store keeps them (its decision's `correlated_at` aside). */
export function eventToRow(e: NormalizedEvent): Omit<EventsTable, 'correlated_at'> {
  return {
    key: e.key,
    source: e.source,
    device: e.device,
    site: e.site,
    type: e.type,
    zone: e.zone ?? null,
    cid: e.cid ?? null,
    ts: e.ts,
    received_at: e.receivedAt,
    detail: e.detail ? JSON.stringify(e.detail) : null,
  };
}

const COLUMNS = [
  'key',
  'source',
  'device',
  'site',
  'type',
  'zone',
  'cid',
  'ts',
  'received_at',
  'detail',
] as const;

/** Events, written once for SQLite and PostgreSQL. */
export class KyselyEventRepository implements EventRepository {
  constructor(private readonly k: Kysely<DB>) {}

  /** Inserts the new ones, undecided (tests and the legacy path; the core inserts with its decision). */
  async insertMany(events: readonly NormalizedEvent[]): Promise<boolean[]> {
    if (events.length === 0) return [];
    return this.k.transaction().execute(async (tx) => {
      const fresh: boolean[] = [];
      for (const e of events) {
        const res = await tx
          .insertInto('events')
          .values({ ...eventToRow(e), correlated_at: null })
          .onConflict((oc) => oc.column('key').doNothing())
          .executeTakeFirst();
        fresh.push(Number(res.numInsertedOrUpdatedRows ?? 0n) === 1);
      }
      return fresh;
    });
  }

  async get(key: string): Promise<NormalizedEvent | undefined> {
    const r = await this.k.selectFrom('events').select(COLUMNS).where('key', '=', key).executeTakeFirst();
    return r ? rowToEvent(r) : undefined;
  }

  async uncorrelated(limit: number): Promise<NormalizedEvent[]> {
    const rows = await this.k
      .selectFrom('events')
      .select(COLUMNS)
      .where('correlated_at', 'is', null)
      .orderBy('received_at')
      .orderBy('key')
      .limit(limit)
      .execute();
    return rows.map(rowToEvent);
  }

  async markCorrelated(keys: readonly string[], at: string): Promise<void> {
    if (keys.length === 0) return;
    await this.k
      .updateTable('events')
      .set({ correlated_at: at })
      .where('key', 'in', [...keys])
      .execute();
  }

  async listForSite(site: string, limit: number): Promise<NormalizedEvent[]> {
    const rows = await this.k
      .selectFrom('events')
      .select(COLUMNS)
      .where('site', '=', site)
      .orderBy('received_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(rowToEvent);
  }

  async incidentOf(key: string): Promise<string | undefined> {
    const r = await this.k
      .selectFrom('incident_events')
      .select('incident_id')
      .where('event_key', '=', key)
      .limit(1)
      .executeTakeFirst();
    return r?.incident_id;
  }
}
