import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { PlaybackHolds } from '../../streams/playback-holds.js';
import { SegmentIndex } from '../../streams/segment-index.js';
import { stopSharedPostgres, storeBackends } from '../helpers/postgres.js';
import { indexedSegment } from './recording-fixture.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
const S = 1000;

const BACKENDS = storeBackends('holds');

afterAll(() => stopSharedPostgres(), 60_000);

/** A 4 s segment of `camera` from `startMs`. */
const seg = (camera: string, startMs: number) => indexedSegment(camera, startMs, startMs + 4 * S);

describe.each(BACKENDS)('playback holds on %s', (_name, open) => {
  let db: Awaited<ReturnType<typeof open>>;
  let index: SegmentIndex;
  beforeEach(async () => {
    db = await open();
    index = new SegmentIndex(db.store.k, db.store.dialect);
    for (let i = 0; i < 4; i++) await index.addSegment(seg('cam-1', T0 + i * 4 * S));
    await index.addSegment(seg('cam-2', T0));
  }, 60_000);
  afterEach(async () => db?.cleanup());

  const ids = (segs: { startMs: number; camera: string }[]) =>
    segs.map((s) => `${s.camera}@${s.startMs - T0}`);

  it('retention passes over what a playback holds, takes the rest, and takes it all once released', async () => {
    const holds = new PlaybackHolds({ index, log: silentLogger });
    const h = await holds.hold({ camera: 'cam-1', startMs: T0 + 5 * S, endMs: T0 + 9 * S, holder: 'inv' });
    expect(holds.size).toBe(1);
    // The held range overlaps the second and third segments of cam-1; cam-2's same range is not held.
    expect(ids(await index.oldestUnprotected('/rec', 10))).toEqual(['cam-1@0', 'cam-2@0', 'cam-1@12000']);
    const all = await index.segments('cam-1', T0, T0 + 16 * S);
    expect(ids(await index.claimUnprotected(all))).toEqual(['cam-1@0', 'cam-1@12000']);
    expect(ids(await index.segments('cam-1', T0, T0 + 16 * S))).toEqual(['cam-1@4000', 'cam-1@8000']);
    await h.release();
    await h.release(); // twice is once
    expect(holds.size).toBe(0);
    const rest = await index.segments('cam-1', T0, T0 + 16 * S);
    expect(ids(await index.claimUnprotected(rest))).toEqual(['cam-1@4000', 'cam-1@8000']);
  });

  it('a hold its node stops renewing lapses after its ttl, and retention prunes the row', async () => {
    let now = Date.now();
    const holds = new PlaybackHolds({ index, log: silentLogger, ttlMs: 60_000, now: () => now });
    // Placed two minutes ago and never renewed since (its node died): it no longer counts.
    now -= 120_000;
    await holds.hold({ camera: 'cam-1', startMs: T0, endMs: T0 + 16 * S, holder: 'inv' });
    expect(ids(await index.oldestUnprotected('/rec', 10))).toHaveLength(5);
    expect(await index.pruneHolds(Date.now())).toBe(1);
    expect(await index.pruneHolds(Date.now())).toBe(0);
    await holds.stop();
  });

  it('a live hold is renewed while it is held', async () => {
    let now = Date.now();
    const holds = new PlaybackHolds({ index, log: silentLogger, ttlMs: 3000, now: () => now });
    await holds.hold({ camera: 'cam-1', startMs: T0, endMs: T0 + 16 * S, holder: 'inv' });
    const first = Number(
      (await db.store.k.selectFrom('playback_holds').select('expires_ms').executeTakeFirstOrThrow())
        .expires_ms,
    );
    now += 10_000;
    // Renewed every third of the ttl (at least a second).
    await new Promise((r) => setTimeout(r, 1300));
    const later = Number(
      (await db.store.k.selectFrom('playback_holds').select('expires_ms').executeTakeFirstOrThrow())
        .expires_ms,
    );
    expect(later).toBe(first + 10_000);
    await holds.stop();
    expect(await db.store.k.selectFrom('playback_holds').selectAll().execute()).toEqual([]);
  });
});
