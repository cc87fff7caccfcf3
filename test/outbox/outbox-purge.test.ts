import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { Outbox, type OutboxRow } from '../../src/outbox/outbox.js';
import { OutboxDispatcher, type OutboxSink } from '../../src/outbox/outbox-dispatcher.js';
import { OutboxPurge, type PurgeResult } from '../../src/outbox/outbox-purge.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { SqliteStore, type Store } from '../../src/store/sqlite.js';
import { turnsDuring } from '../helpers/loop-turns.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';
import { planOf, recordPreparedSql } from '../helpers/prepared-sql.js';

afterAll(() => stopSharedPostgres());

const DAY = 86_400_000;
const START = Date.parse('2026-11-01T00:00:00.000Z');

/** A durable sink that records the sequence numbers it was handed. */
function recorder(name: string): OutboxSink & { seen: number[]; fail: boolean } {
  const sink = {
    name,
    durable: true,
    batch: 1000,
    seen: [] as number[],
    fail: false,
    handle(rows: readonly OutboxRow[]) {
      if (sink.fail) throw new Error(`${name} down`);
      sink.seen.push(...rows.map((r) => r.seq));
    },
  };
  return sink;
}

/** A counter's or gauge's value (its samples summed). */
async function counter(metrics: Metrics, name: string): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)?.get();
  return m?.values.reduce((a, v) => a + v.value, 0) ?? 0;
}

/**
 * One installation on `store`: a clock the test moves, an outbox written at that clock, a dispatcher
 * and the purge (keeping 7 days) over the dispatcher's sinks.
 */
function installation(store: Store) {
  let now = START;
  const clock = () => new Date(now);
  const outbox = new Outbox(store.k, clock, store.dialect);
  const metrics = new Metrics({ defaults: false });
  const dispatcher = new OutboxDispatcher({ outbox, log: silentLogger, metrics, pollMs: 20, cursorMs: 10 });
  const purge = new OutboxPurge({
    k: store.k,
    keepDays: 7,
    sinks: () => Object.keys(dispatcher.positions()),
    log: silentLogger,
    metrics,
    now: clock,
    // Without a rest between deletes, each lets the event loop take one turn (counted below).
    restMs: 0,
  });
  /** `n` rows, `perCommit` a commit, each commit `stepMs` after the one before. */
  const write = async (n: number, stepMs: number, perCommit = 1) => {
    for (let i = 0; i < n; i += perCommit) {
      const rows = Array.from({ length: Math.min(perCommit, n - i) }, (_, j) => ({
        topic: 'event:stored' as const,
        payload: { i: i + j },
      }));
      await outbox.publish(rows);
      now += stepMs;
    }
  };
  const seqs = async () =>
    (await store.k.selectFrom('outbox').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
  const cursors = async () =>
    Object.fromEntries(
      (await store.k.selectFrom('outbox_cursors').select(['sink', 'seq']).execute()).map((r) => [
        r.sink,
        Number(r.seq),
      ]),
    );
  return {
    outbox,
    metrics,
    dispatcher,
    purge,
    write,
    seqs,
    cursors,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('outbox purge (SQLite)', () => {
  let dir: string;
  let store: SqliteStore;
  let city: ReturnType<typeof installation>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-outbox-purge-'));
    store = new SqliteStore(join(dir, 'sharpeyes.db'));
    city = installation(store);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await city.dispatcher.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deletes the rows every sink has handled once older than keepDays, and nothing newer', async () => {
    const sink = recorder('webhooks');
    await city.dispatcher.add(sink);
    city.dispatcher.start();
    // Twenty days of rows, 10,000 of them: ten every 1,728 s.
    await city.write(10_000, (20 * DAY) / 1_000, 10);
    await city.dispatcher.idle();
    expect(sink.seen).toHaveLength(10_000);

    let r: PurgeResult | undefined;
    const turns = await turnsDuring(async () => {
      r = await city.purge.purge();
    });

    // Now is START + 20 days: rows of the first 13 days (older than 7) go, the rest stay.
    const older = 6_500; // 13 days / 1,728 s × 10
    expect(r).toEqual({ deleted: older, through: older, dropped: [] });
    // The oldest row left is 7 days old (13 days after START, now 20); 3,500 rows are left.
    expect(await counter(city.metrics, 'sharpeyes_outbox_oldest_seconds')).toBe(7 * 86_400);
    expect(await counter(city.metrics, 'sharpeyes_outbox_rows')).toBe(3_500);
    const left = await city.seqs();
    expect(left[0]).toBe(older + 1);
    expect(left.at(-1)).toBe(10_000);
    expect(left).toHaveLength(10_000 - older);
    // Deleted 500 at a time, letting the event loop (the alarm path) run after each: 13 deletes.
    expect(turns).toBeGreaterThanOrEqual(13);
    expect(await counter(city.metrics, 'sharpeyes_outbox_purged_rows_total')).toBe(older);

    // A second purge at the same time has nothing to do; the sinks and the sequence carry on.
    expect(await city.purge.purge()).toEqual({ deleted: 0, through: 0, dropped: [] });
    await city.write(3, 1000);
    await city.dispatcher.idle();
    expect(sink.seen.slice(-3)).toEqual([10_001, 10_002, 10_003]);
    expect(await city.outbox.tail()).toBe(10_003);
  });

  it('keeps the newest row however old, so the tail stays where it was', async () => {
    await city.dispatcher.add(recorder('webhooks'));
    city.dispatcher.start();
    await city.write(10, 1000);
    await city.dispatcher.idle();
    city.advance(30 * DAY);

    expect((await city.purge.purge()).deleted).toBe(9);
    expect(await city.seqs()).toEqual([10]);
    expect(await city.outbox.tail()).toBe(10);
    // A sink added now starts at the tail and gets what comes next, nothing before.
    const late = recorder('late');
    await city.dispatcher.add(late);
    await city.write(1, 1000);
    await city.dispatcher.idle();
    expect(late.seen).toEqual([11]);
  });

  it('a sink that is failing holds the purge at its cursor, however long it fails', async () => {
    const ok = recorder('audit');
    const down = recorder('webhooks');
    await city.dispatcher.add(ok);
    await city.dispatcher.add(down);
    city.dispatcher.start();
    await city.write(100, 1000);
    await city.dispatcher.idle();
    down.fail = true;
    await city.write(100, 1000);
    await city.dispatcher.idle(2_000).catch(() => undefined);
    expect(ok.seen).toHaveLength(200);
    expect(down.seen).toHaveLength(100);
    expect((await city.cursors())['webhooks']).toBe(100);
    city.advance(60 * DAY);

    const r = await city.purge.purge();

    // Its cursor has not moved for 60 days, but it runs here: its rows are kept, not its cursor dropped.
    expect(r).toEqual({ deleted: 100, through: 100, dropped: [] });
    // /metrics shows it: the oldest row is 60 days old, past keepDays; 100 rows are left.
    expect(await counter(city.metrics, 'sharpeyes_outbox_oldest_seconds')).toBeGreaterThan(60 * 86_400);
    expect(await counter(city.metrics, 'sharpeyes_outbox_rows')).toBe(100);
    down.fail = false;
    city.dispatcher.poke();
    await city.dispatcher.idle();
    expect(down.seen).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('drops the cursor of a sink no node runs any more once it has not moved for keepDays', async () => {
    await city.dispatcher.add(recorder('bus:node-a'));
    await city.dispatcher.add(recorder('audit'));
    city.dispatcher.start();
    await city.write(50, 1000);
    await city.dispatcher.idle();
    // node-b relayed the first 20 rows, then left (its id goes with its process); node-c left later.
    await city.outbox.saveCursor('bus:node-b', 20);
    city.advance(3 * DAY);
    await city.write(50, 1000);
    await city.dispatcher.idle();
    city.advance(2 * DAY);
    await city.outbox.saveCursor('bus:node-c', 60);

    // 8 days after the first rows: node-b's cursor has been still for 8 days, node-c's for 3.
    city.advance(3 * DAY);
    const first = await city.purge.purge();
    expect(first.dropped).toEqual(['bus:node-b']);
    // The first 50 rows are older than 7 days; node-c's cursor is past them.
    expect(first).toMatchObject({ deleted: 50, through: 50 });
    expect(Object.keys(await city.cursors()).sort()).toEqual(['audit', 'bus:node-a', 'bus:node-c']);
    expect(await counter(city.metrics, 'sharpeyes_outbox_cursors_dropped_total')).toBe(1);

    // Three days on every row is older than 7 days, and node-c's cursor (still for 6) holds those after 60...
    city.advance(3 * DAY);
    const held = await city.purge.purge();
    expect(held).toEqual({ deleted: 10, through: 60, dropped: [] });
    // ...until it too has been still for 7 days.
    city.advance(2 * DAY);
    const gone = await city.purge.purge();
    expect(gone).toEqual({ deleted: 39, through: 99, dropped: ['bus:node-c'] });
    expect(await city.seqs()).toEqual([100]);
    expect(await counter(city.metrics, 'sharpeyes_outbox_cursors_dropped_total')).toBe(2);
  });

  it('reads the outbox by its key only: no statement of the purge scans it', async () => {
    await city.dispatcher.add(recorder('audit'));
    city.dispatcher.start();
    await city.write(100, 1000);
    await city.dispatcher.idle();
    city.advance(8 * DAY);
    const prepared = recordPreparedSql();

    expect((await city.purge.purge()).deleted).toBe(99);

    const plans = [...new Set(prepared)]
      .filter((q) => /\bfrom "outbox"/i.test(q))
      .map((q) => `${q} => ${planOf(store.db, q)}`);
    // The lower end, the binary search's probe and the delete (the upper end is `Outbox.tail`'s
    // statement, prepared before), each a search by key.
    expect(plans).toHaveLength(3);
    for (const p of plans) expect(p).not.toMatch(/SCAN outbox/);
  });

  it('runs on its timer and stops with it', async () => {
    await city.dispatcher.add(recorder('audit'));
    city.dispatcher.start();
    await city.write(20, 1000);
    await city.dispatcher.idle();
    city.advance(8 * DAY);
    city.purge.start(30, 10);
    const deadline = Date.now() + 5_000;
    while ((await city.seqs()).length > 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    await city.purge.stop();
    expect(await city.seqs()).toEqual([20]);
  });
});

describe('outbox purge (PostgreSQL)', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('deletes the same rows as on SQLite, and the sequence goes on past them', async () => {
    store = await openPostgresStore(await freshPostgresDatabase(), { poolSize: 4 });
    const city = installation(store);
    try {
      await city.dispatcher.add(recorder('webhooks'));
      await city.outbox.saveCursor('bus:gone', 10);
      city.dispatcher.start();
      await city.write(2_500, (10 * DAY) / 250, 10);
      await city.dispatcher.idle();

      const r = await city.purge.purge();

      // Now START + 10 days: the first 750 rows (3 days) are older than 7 days. `bus:gone` was saved
      // at START and never moved: dropped.
      expect(r).toEqual({ deleted: 750, through: 750, dropped: ['bus:gone'] });
      expect((await city.seqs())[0]).toBe(751);
      await city.write(1, 1000);
      expect(await city.outbox.tail()).toBe(2_501);
    } finally {
      await city.dispatcher.stop();
    }
  });
});
