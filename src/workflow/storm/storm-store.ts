import { randomUUID } from 'node:crypto';
import type { StormCategory } from '../../config/sections/workflow.js';
import type { NormalizedEvent } from '../../core/events.js';
import type { Db } from '../db.js';

export interface Storm {
  id: string;
  node: string;
  categories: StormCategory[];
  action: 'demote' | 'hold';
  reason: string;
  by: string;
  startedAt: string;
  endsAt: string;
  endedAt?: string;
  endedBy?: string;
  releasedAt?: string;
}

type Row = {
  id: string;
  node: string;
  categories: string;
  action: string;
  reason: string;
  by_user: string;
  started_at: string;
  ends_at: string;
  ended_at: string | null;
  ended_by: string | null;
  released_at: string | null;
};

const toStorm = (r: Row): Storm => ({
  id: r.id,
  node: r.node,
  categories: JSON.parse(r.categories) as StormCategory[],
  action: r.action as Storm['action'],
  reason: r.reason,
  by: r.by_user,
  startedAt: r.started_at,
  endsAt: r.ends_at,
  ...(r.ended_at ? { endedAt: r.ended_at } : {}),
  ...(r.ended_by ? { endedBy: r.ended_by } : {}),
  ...(r.released_at ? { releasedAt: r.released_at } : {}),
});

/** Storms neither ended nor released nor run out by `at`, whenever they started. */
const notOverAt = (db: Db, at: string) =>
  db
    .selectFrom('storms')
    .selectAll()
    .where('released_at', 'is', null)
    .where('ended_at', 'is', null)
    .where('ends_at', '>', at);

/** Storm mode (`storms`) and the events it holds (`held_events`). */
export class StormStore {
  /**
   * Keys of held events this process is deciding now (the maintainer's release), with how many
   * releases have each: their decision claims them first (`claim`), and only they pay that statement.
   */
  private readonly releasing = new Map<string, number>();

  /** Runs `fn` with `keys` known as being released (see `releasing`). */
  async releasingThese<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    for (const key of keys) this.releasing.set(key, (this.releasing.get(key) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      for (const key of keys) {
        const n = (this.releasing.get(key) ?? 1) - 1;
        if (n > 0) this.releasing.set(key, n);
        else this.releasing.delete(key);
      }
    }
  }

  isReleasing(key: string): boolean {
    return this.releasing.has(key);
  }

  /**
   * Marks a held event released in the transaction that decides it; false when another release
   * (another node's maintainer, or a supervisor ending the storm there) decided it first. On
   * PostgreSQL the row stays locked to the commit, so the second waits and then reads it released.
   */
  async claim(db: Db, eventKey: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('held_events')
      .set({ released_at: at })
      .where('event_key', '=', eventKey)
      .where('released_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async start(db: Db, s: Omit<Storm, 'id'>): Promise<Storm> {
    const storm: Storm = { id: randomUUID(), ...s };
    await db
      .insertInto('storms')
      .values({
        id: storm.id,
        node: s.node,
        categories: JSON.stringify(s.categories),
        action: s.action,
        reason: s.reason,
        by_user: s.by,
        started_at: s.startedAt,
        ends_at: s.endsAt,
        ended_at: null,
        ended_by: null,
        released_at: null,
      })
      .execute();
    return storm;
  }

  /** Storms in force at `at` (not ended, not run out). */
  async inForce(db: Db, at: string): Promise<Storm[]> {
    return (await notOverAt(db, at).where('started_at', '<=', at).execute()).map(toStorm);
  }

  /**
   * Storms not over at `at`: in force, or started at a time this clock has not reached yet (another
   * node's clock ahead of this one's, or a request that read the time first and came second).
   */
  async notOver(db: Db, at: string): Promise<Storm[]> {
    return (await notOverAt(db, at).execute()).map(toStorm);
  }

  async recent(db: Db, limit: number): Promise<Storm[]> {
    const rows = await db
      .selectFrom('storms')
      .selectAll()
      .orderBy('started_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toStorm);
  }

  async get(db: Db, id: string): Promise<Storm | undefined> {
    const r = await db.selectFrom('storms').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toStorm(r) : undefined;
  }

  async end(db: Db, id: string, by: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('storms')
      .set({ ended_at: at, ended_by: by })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Storms over (ended or run out) whose held events are not released yet: after a restart too. */
  async toRelease(db: Db, now: string): Promise<Storm[]> {
    const rows = await db
      .selectFrom('storms')
      .selectAll()
      .where('released_at', 'is', null)
      .where((eb) => eb.or([eb('ended_at', 'is not', null), eb('ends_at', '<=', now)]))
      .execute();
    return rows.map(toStorm);
  }

  async hold(db: Db, storm: string, eventKey: string, category: string, at: string): Promise<void> {
    await db
      .insertInto('held_events')
      .values({ event_key: eventKey, storm, category, at, released_at: null, outcome: null })
      .onConflict((oc) => oc.column('event_key').doNothing())
      .execute();
  }

  async held(db: Db, storm: string, limit: number): Promise<NormalizedEvent[]> {
    const rows = await db
      .selectFrom('held_events as h')
      .innerJoin('events as e', 'e.key', 'h.event_key')
      .select([
        'e.key',
        'e.source',
        'e.device',
        'e.site',
        'e.type',
        'e.zone',
        'e.cid',
        'e.ts',
        'e.received_at',
        'e.detail',
      ])
      .where('h.storm', '=', storm)
      .where('h.released_at', 'is', null)
      .orderBy('e.received_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      key: r.key,
      source: r.source as NormalizedEvent['source'],
      device: r.device,
      site: r.site,
      type: r.type as NormalizedEvent['type'],
      ...(r.zone ? { zone: r.zone } : {}),
      ...(r.cid ? { cid: r.cid } : {}),
      ts: r.ts,
      receivedAt: r.received_at,
      ...(r.detail ? { detail: JSON.parse(r.detail) as Record<string, unknown> } : {}),
    }));
  }

  async released(db: Db, eventKey: string, at: string, outcome: string): Promise<void> {
    await db
      .updateTable('held_events')
      .set({ released_at: at, outcome })
      .where('event_key', '=', eventKey)
      .execute();
  }

  /** False when another release marked it first (it writes the storm's `storm.released` audit row). */
  async markReleased(db: Db, storm: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('storms')
      .set({ released_at: at })
      .where('id', '=', storm)
      .where('released_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async heldCount(db: Db, storm: string): Promise<number> {
    const r = await db
      .selectFrom('held_events')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('storm', '=', storm)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
