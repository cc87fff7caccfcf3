import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type MinuteSample,
  SystemHistory,
  SystemHistoryStore,
  stepFor,
} from '../../src/health/system-history.js';
import { Metrics } from '../../src/metrics.js';
import { SqliteStore, type Store } from '../../src/store/sqlite.js';
import { stopSharedPostgres, storeBackends } from '../helpers/postgres.js';

const MIN = 60_000;
/** 2026-12-06 03:00 UTC, a minute's start. */
const T0 = Date.UTC(2026, 11, 6, 3, 0, 0);

const sample = (over: Partial<MinuteSample> = {}): MinuteSample => ({
  committed: 10,
  waitP50Ms: 0.6,
  waitP99Ms: 2.5,
  waitMaxMs: 4,
  sinksFailing: 0,
  sinksBehind: 0,
  sinksBehindSeconds: 0,
  loopP99Ms: 0.5,
  loopMaxMs: 4,
  panels: { panels: 4, online: 4 },
  cameras: { cameras: 3, up: 3 },
  ...over,
});

const BACKENDS = storeBackends('sysmin');

afterAll(() => stopSharedPostgres(), 60_000);

describe('the step of a range: at most 360 points', () => {
  it('a minute a point up to six hours, then wider steps; a week in half hours', () => {
    expect(stepFor(60)).toBe(1);
    expect(stepFor(360)).toBe(1);
    expect(stepFor(361)).toBe(2);
    expect(stepFor(24 * 60)).toBe(5);
    expect(stepFor(7 * 24 * 60)).toBe(30);
  });
});

describe.each(BACKENDS)('system_minutes on %s', (_name, open) => {
  let db: Awaited<ReturnType<typeof open>>;
  let store: SystemHistoryStore;
  beforeEach(async () => {
    db = await open();
    store = new SystemHistoryStore(db.store.k);
  }, 60_000);
  afterEach(async () => db?.cleanup());

  it('a minute of two nodes is one point: committed summed, waits the worst, cameras up summed; a node down is a gap', async () => {
    expect(
      await store.write('a', T0, sample({ committed: 10, waitP99Ms: 2.5, cameras: { cameras: 3, up: 2 } })),
    ).toBe(true);
    expect(
      await store.write('b', T0, sample({ committed: 7, waitP99Ms: 9.75, cameras: { cameras: 3, up: 1 } })),
    ).toBe(true);
    // The same minute again (a restart within it) is ignored, not doubled.
    expect(await store.write('a', T0, sample({ committed: 999 }))).toBe(false);
    // Minute 1: only node a (b was down); minute 2: nobody; minute 3: a sink failing on b.
    await store.write('a', T0 + MIN, sample({ committed: 3 }));
    await store.write('a', T0 + 3 * MIN, sample({ committed: 1 }));
    await store.write(
      'b',
      T0 + 3 * MIN,
      sample({ sinksFailing: 1, sinksBehind: 12, sinksBehindSeconds: 95.5 }),
    );
    const h = await store.read(T0, T0 + 5 * MIN, 1);
    expect(h).toMatchObject({
      from: '2026-12-06T03:00:00.000Z',
      to: '2026-12-06T03:05:00.000Z',
      stepMinutes: 1,
      nodes: ['a', 'b'],
      first: '2026-12-06T03:00:00.000Z',
    });
    expect(h.points.map((p) => [p.at.slice(11, 16), p.minutes, p.committed])).toEqual([
      ['03:00', 2, 17],
      ['03:01', 1, 3],
      ['03:03', 2, 11],
    ]);
    expect(h.points[0]).toMatchObject({
      waitP99Ms: 9.75,
      cameras: 3,
      camerasUp: 3,
      panels: 4,
      panelsOnline: 4,
    });
    expect(h.points[2]).toMatchObject({
      sinksFailing: 1,
      sinksFailingMinutes: 1,
      sinksBehind: 12,
      sinksBehindSeconds: 95.5,
    });
    expect(h.points[0]!.sinksFailingMinutes).toBe(0);
  });

  it('a node first recorded part way through the range joined then (before it, it did not exist); one seen before the range was down', async () => {
    // a throughout; b from 03:30 on, never seen before; c seen yesterday, back at 03:40.
    for (let m = 0; m < 60; m++) await store.write('a', T0 + m * MIN, sample({}));
    for (let m = 30; m < 60; m++) await store.write('b', T0 + m * MIN, sample({}));
    await store.write('c', T0 - 1440 * MIN, sample({}));
    for (let m = 40; m < 60; m++) await store.write('c', T0 + m * MIN, sample({}));
    const h = await store.read(T0, T0 + 60 * MIN, 1);
    expect(h).toMatchObject({ nodes: ['a', 'b', 'c'], first: '2026-12-06T03:00:00.000Z' });
    expect(h.joined).toEqual({ b: '2026-12-06T03:30:00.000Z' });
    // Nobody joins a range whose nodes all have rows from its first minute.
    expect((await store.read(T0 + 45 * MIN, T0 + 60 * MIN, 1)).joined).toEqual({});
  });

  it('recording’s own faults: cameras failing summed over the nodes in a minute, the worst minute of a step, failing minutes counted; storage short and full', async () => {
    const rec = (camerasFailing: number, camerasDropping: number, storageShort = 0, storageFull = 0) => ({
      recording: { camerasFailing, camerasDropping, storageShort, storageFull },
    });
    await store.write('a', T0, sample(rec(0, 0)));
    await store.write('a', T0 + MIN, sample(rec(1, 2)));
    await store.write('b', T0 + MIN, sample(rec(2, 0)));
    await store.write('a', T0 + 2 * MIN, sample(rec(0, 0, 1, 0)));
    await store.write('a', T0 + 3 * MIN, sample(rec(1, 0, 1, 1)));
    // A node without recording says nothing of it.
    await store.write('c', T0 + 3 * MIN, sample());
    const minutes = await store.read(T0, T0 + 4 * MIN, 1);
    expect(
      minutes.points.map((p) => [
        p.recordingFailing,
        p.recordingFailingMinutes,
        p.recordingDropping,
        p.storageShort,
        p.storageFull,
      ]),
    ).toEqual([
      [0, 0, 0, 0, 0],
      [3, 1, 2, 0, 0],
      [0, 0, 0, 1, 0],
      [1, 1, 0, 1, 1],
    ]);
    // Four minutes in one step: the worst minute, and two minutes failing.
    expect((await store.read(T0, T0 + 4 * MIN, 4)).points).toEqual([
      expect.objectContaining({
        recordingFailing: 3,
        recordingFailingMinutes: 2,
        recordingDropping: 2,
        storageShort: 1,
        storageFull: 1,
      }),
    ]);
  });

  it('wider steps: totals, the worst wait and sink, the fewest online; a range reads only its minutes', async () => {
    for (let i = 0; i < 12; i++)
      await store.write(
        'solo',
        T0 + i * MIN,
        sample({
          committed: i,
          waitP99Ms: i === 7 ? 152.5 : 2,
          sinksFailing: i === 6 || i === 8 ? 1 : 0,
          panels: { panels: 4, online: i === 3 ? 1 : 4 },
        }),
      );
    const h = await store.read(T0, T0 + 10 * MIN, 5);
    expect(
      h.points.map((p) => [
        p.at.slice(11, 16),
        p.minutes,
        p.committed,
        p.waitP99Ms,
        p.panelsOnline,
        p.sinksFailingMinutes,
      ]),
    ).toEqual([
      ['03:00', 5, 0 + 1 + 2 + 3 + 4, 2, 1, 0],
      ['03:05', 5, 5 + 6 + 7 + 8 + 9, 152.5, 4, 2],
    ]);
  });

  it('a week of two nodes: 336 half-hour points, read two hours at a time with a turn of the loop between', async () => {
    const rowsOf = (node: string, m: number) => ({
      minute: T0 - m * MIN,
      node,
      committed: 1,
      wait_p50_ms: 0.5,
      wait_p99_ms: m === 3000 ? 480 : 2,
      wait_max_ms: 3,
      sinks_failing: 0,
      sinks_behind: 0,
      sinks_behind_seconds: 0,
      loop_p99_ms: 0.3,
      loop_max_ms: m === 4000 ? 1250 : 5,
      started: m === 5000 ? 1 : 0,
      panels: 4,
      panels_online: 4,
      cameras: 2,
      cameras_up: 1,
    });
    const all = [];
    for (let m = 1; m <= 7 * 1440; m++) all.push(rowsOf('a', m), rowsOf('b', m));
    for (let i = 0; i < all.length; i += 500)
      await db.store.k
        .insertInto('system_minutes')
        .values(all.slice(i, i + 500))
        .execute();
    // Turns of the loop while the read runs: a chain of setImmediate.
    let turns = 0;
    let on = true;
    const tick = () => {
      turns++;
      if (on) setImmediate(tick);
    };
    setImmediate(tick);
    const h = await store.read(T0 - 7 * 1440 * MIN, T0, 30);
    on = false;
    // 84 pieces of two hours: at least a turn between each two.
    expect(turns).toBeGreaterThanOrEqual(83);
    expect(h.points).toHaveLength(336);
    expect(h.nodes).toEqual(['a', 'b']);
    expect(h.first).toBe(new Date(T0 - 7 * 1440 * MIN).toISOString());
    expect(h.points.every((p) => p.minutes === 60 && p.committed === 60 && p.camerasUp === 2)).toBe(true);
    // The one slow minute, 50 hours before T0, in its half hour.
    // The alarm thread held for 1.25 s in one minute: the worst of its half hour.
    expect(h.points.filter((p) => p.loopMaxMs === 1250).map((p) => p.at)).toEqual([
      new Date(T0 - 4020 * MIN).toISOString(),
    ]);
    expect(h.points.every((p) => p.loopMaxMs === 1250 || p.loopMaxMs === 5)).toBe(true);
    // A start on each node in one minute: two starts in its half hour.
    expect(h.points.filter((p) => p.starts > 0).map((p) => [p.at, p.starts])).toEqual([
      [new Date(T0 - 5010 * MIN).toISOString(), 2],
    ]);
    const slow = h.points.filter((p) => p.waitP99Ms === 480);
    expect(slow.map((p) => p.at)).toEqual([new Date(T0 - 3000 * MIN).toISOString()]);
  }, 60_000);

  it('purges every node’s minutes before a time', async () => {
    await store.write('a', T0, sample());
    await store.write('b', T0 + MIN, sample());
    await store.write('a', T0 + 2 * MIN, sample());
    expect(await store.purge(T0 + 2 * MIN)).toBe(2);
    expect((await store.read(T0, T0 + 10 * MIN, 1)).points.map((p) => p.at)).toEqual([
      new Date(T0 + 2 * MIN).toISOString(),
    ]);
  });
});

describe('SystemHistory: a row for each minute that ended, from its health', () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-syshist-'));
    store = new SqliteStore(join(dir, 'sys.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the minute just ended from the sample of its end, once; a failed read is a counted gap; purges what is older than its days', async () => {
    const rows = new SystemHistoryStore(store.k);
    // A row 40 days old and one 20 days old, from before this start.
    await rows.write('n1', T0 - 40 * 86_400_000, sample());
    await rows.write('n1', T0 - 20 * 86_400_000, sample());
    let now = T0 + 40_000; // started at 03:00:40
    const ends: number[] = [];
    let fail = false;
    const metrics = new Metrics();
    const lines: string[] = [];
    const history = new SystemHistory({
      store: rows,
      node: 'n1',
      keepDays: 31,
      sample: async (end) => {
        ends.push(end);
        if (fail) throw new Error('database is locked');
        return sample({ committed: ends.length });
      },
      log: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }),
      metrics,
      now: () => now,
    });
    now = T0 + MIN + 1_000; // a second after 03:01
    await history.tick();
    await history.tick(); // twice in the same minute: one row
    now += MIN; // 03:02:01, failing
    fail = true;
    await history.tick();
    now += MIN; // 03:03:01
    fail = false;
    await history.tick();
    expect(ends).toEqual([T0 + MIN, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
    const h = await rows.read(T0 - 50 * 86_400_000, T0 + 10 * MIN, 1440);
    // The 40-day-old row went at the first tick (hourly purge); the 20-day-old one stays.
    expect(h.points.map((p) => p.at.slice(0, 10))).toEqual(['2026-11-16', '2026-12-06']);
    const today = await rows.read(T0, T0 + 10 * MIN, 1);
    // 03:00 from the first tick (committed 1), 03:01 a gap (its read failed), 03:02 from the fourth.
    // The minute it started in says so.
    expect(today.points.map((p) => [p.at.slice(11, 16), p.committed, p.starts])).toEqual([
      ['03:00', 1, 1],
      ['03:02', 4, 0],
    ]);
    const count = async (name: string) =>
      (await metrics.registry.getSingleMetric(name)?.get())?.values.reduce((n, v) => n + v.value, 0);
    expect(await count('sharpeyes_system_minutes_total')).toBe(2);
    expect(await count('sharpeyes_system_minutes_failed_total')).toBe(1);
    expect(lines.join('\n')).toContain('system history: minute not recorded');
    expect(lines.join('\n')).toContain('"minute":"2026-12-06T03:01:00.000Z"');
  });
});
