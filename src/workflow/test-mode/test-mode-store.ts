import { randomUUID } from 'node:crypto';
import { prepare } from '../../store/prepared.js';
import type { Db } from '../db.js';

/** Asked for every event, on the alarm path: compiled once (src/store/prepared.ts). */
const IN_FORCE = prepare<{ site: string; at: string }>()((k, p) =>
  k
    .selectFrom('test_modes')
    .selectAll()
    .where('site', '=', p('site'))
    .where('ended_at', 'is', null)
    .where('ends_at', '>', p('at'))
    .where('started_at', '<=', p('at'))
    .orderBy('started_at'),
);

export interface TestMode {
  id: string;
  site: string;
  /** Only this panel of the site; the whole site when absent. */
  panel?: string;
  reason: string;
  by: string;
  startedAt: string;
  endsAt: string;
  endedAt?: string;
  endedBy?: string;
}

type Row = {
  id: string;
  site: string;
  panel: string | null;
  reason: string;
  by_user: string;
  started_at: string;
  ends_at: string;
  ended_at: string | null;
  ended_by: string | null;
};

const toMode = (r: Row): TestMode => ({
  id: r.id,
  site: r.site,
  ...(r.panel ? { panel: r.panel } : {}),
  reason: r.reason,
  by: r.by_user,
  startedAt: r.started_at,
  endsAt: r.ends_at,
  ...(r.ended_at ? { endedAt: r.ended_at } : {}),
  ...(r.ended_by ? { endedBy: r.ended_by } : {}),
});

/** Test modes neither ended nor run out by `at`, whenever they started, oldest first. */
const notOverAt = (db: Db, at: string) =>
  db
    .selectFrom('test_modes')
    .selectAll()
    .where('ended_at', 'is', null)
    .where('ends_at', '>', at)
    .orderBy('started_at');

/**
 * Test mode per site or panel (`test_modes`) and the events it took (`test_events`). A mode is in
 * force while `ended_at` is empty and `ends_at` is later than the event: its end needs no timer to be
 * exact, the maintainer only records it and says so.
 */
export class TestModeStore {
  async start(
    db: Db,
    m: { site: string; panel?: string; reason: string; by: string; at: string; endsAt: string },
  ): Promise<TestMode> {
    // A new test mode replaces the one the site (or panel) was in.
    await this.end(db, m.site, m.panel, m.by, m.at);
    const row: Row = {
      id: randomUUID(),
      site: m.site,
      panel: m.panel ?? null,
      reason: m.reason,
      by_user: m.by,
      started_at: m.at,
      ends_at: m.endsAt,
      ended_at: null,
      ended_by: null,
    };
    await db.insertInto('test_modes').values(row).execute();
    return toMode(row);
  }

  /**
   * Ends the site's (or the panel's) test modes not over at `at`: in force, or started at a time this
   * clock has not reached (another node's clock ahead). What was ended.
   */
  async end(db: Db, site: string, panel: string | undefined, by: string, at: string): Promise<TestMode[]> {
    const notOver = await notOverAt(db, at).where('site', '=', site).execute();
    const open = notOver.map(toMode).filter((m) => (m.panel ?? null) === (panel ?? null));
    if (open.length === 0) return [];
    // Only those this update ends: two desks (or nodes) ending it at the same instant both read it
    // open, and the second is told it is not on test (before, both were told they ended it).
    const ended = await db
      .updateTable('test_modes')
      .set({ ended_at: at, ended_by: by })
      .where(
        'id',
        'in',
        open.map((m) => m.id),
      )
      .where('ended_at', 'is', null)
      .returning('id')
      .execute();
    const ids = new Set(ended.map((e) => e.id));
    return open.filter((m) => ids.has(m.id)).map((m) => ({ ...m, endedAt: at, endedBy: by }));
  }

  /** The site's test modes in force at `at` (site-wide and per panel). */
  async inForce(db: Db, site: string, at: string): Promise<TestMode[]> {
    return (await IN_FORCE.all(db, { site, at })).map(toMode);
  }

  /** Every test mode in force at `at` (the console's status strip filters them by scope). */
  async allInForce(db: Db, at: string): Promise<TestMode[]> {
    return (await notOverAt(db, at).where('started_at', '<=', at).execute()).map(toMode);
  }

  /** The test mode an event of `device` at `site` falls under, if any. */
  async covering(db: Db, site: string, device: string, at: string): Promise<TestMode | undefined> {
    return (await this.inForce(db, site, at)).find((m) => m.panel === undefined || m.panel === device);
  }

  async recordEvent(db: Db, mode: string, eventKey: string, at: string): Promise<void> {
    await db
      .insertInto('test_events')
      .values({ event_key: eventKey, test_mode: mode, at })
      .onConflict((oc) => oc.column('event_key').doNothing())
      .execute();
  }

  /** Modes whose time ran out but whose end is not recorded yet (after a restart too). */
  async lapsed(db: Db, now: string): Promise<TestMode[]> {
    const rows = await db
      .selectFrom('test_modes')
      .selectAll()
      .where('ended_at', 'is', null)
      .where('ends_at', '<=', now)
      .execute();
    return rows.map(toMode);
  }

  /** Records the end at the mode's own end time; false when someone ended it meanwhile. */
  async markLapsed(db: Db, id: string): Promise<boolean> {
    const m = await db.selectFrom('test_modes').select('ends_at').where('id', '=', id).executeTakeFirst();
    if (!m) return false;
    const r = await db
      .updateTable('test_modes')
      .set({ ended_at: m.ends_at, ended_by: 'system' })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** The site's recent test modes with the events each took (the test badge in the console). */
  async history(
    db: Db,
    site: string,
    limit: number,
  ): Promise<
    (TestMode & { events: { key: string; type: string; device: string; zone?: string; at: string }[] })[]
  > {
    const modes = (
      await db
        .selectFrom('test_modes')
        .selectAll()
        .where('site', '=', site)
        .orderBy('started_at', 'desc')
        .limit(limit)
        .execute()
    ).map(toMode);
    if (modes.length === 0) return [];
    const evs = await db
      .selectFrom('test_events as t')
      .innerJoin('events as e', 'e.key', 't.event_key')
      .select(['t.test_mode', 'e.key', 'e.type', 'e.device', 'e.zone', 'e.received_at'])
      .where(
        't.test_mode',
        'in',
        modes.map((m) => m.id),
      )
      .orderBy('e.received_at')
      .execute();
    return modes.map((m) => ({
      ...m,
      events: evs
        .filter((e) => e.test_mode === m.id)
        .map((e) => ({
          key: e.key,
          type: e.type,
          device: e.device,
          ...(e.zone ? { zone: e.zone } : {}),
          at: e.received_at,
        })),
    }));
  }
}
