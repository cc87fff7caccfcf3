import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentIndex } from '../../streams/segment-index.js';
import { stopSharedPostgres, storeBackends } from '../helpers/postgres.js';
import { indexedSegment } from './recording-fixture.js';

/** A real moment of 2026: epoch ms past 2^32, so a 32-bit column or a string result shows. */
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
const S = 1000;
const DAY = '2026-01-02';

const BACKENDS = storeBackends('segidx');

afterAll(() => stopSharedPostgres(), 60_000);

const seg = indexedSegment;

describe.each(BACKENDS)('segment index on %s', (_name, open) => {
  let db: Awaited<ReturnType<typeof open>>;
  let index: SegmentIndex;
  beforeEach(async () => {
    db = await open();
    index = new SegmentIndex(db.store.k, db.store.dialect);
  }, 60_000);
  afterEach(async () => db?.cleanup());

  it('indexes a segment and reads it back by range, id and camera with numbers as numbers', async () => {
    const a = await index.addSegment(
      seg('cam-1', T0, T0 + 4 * S, { zeroBased: true, frames: 100, keyframes: [0, 2000] }),
    );
    const b = await index.addSegment(seg('cam-1', T0 + 4 * S, T0 + 8 * S + 0.4));
    await index.addSegment(seg('cam-2', T0, T0 + 4 * S));
    expect(b.id).toBeGreaterThan(a.id);
    const got = await index.segments('cam-1', T0 + S, T0 + 5 * S);
    expect(got).toEqual([a, { ...b, endMs: T0 + 8 * S }]);
    expect(got[0]).toMatchObject({ zeroBased: true, frames: 100, keyframes: [0, 2000], keyframe: true });
    expect(got[1]).toMatchObject({ zeroBased: false, frames: null, keyframes: [0] });
    for (const k of ['id', 'startMs', 'endMs', 'bytes'] as const) expect(typeof got[0]![k]).toBe('number');
    // The range is half-open: a segment ending where the range starts is not in it.
    expect(await index.segments('cam-1', T0 + 8 * S, T0 + 9 * S)).toEqual([]);
    expect(await index.segments('cam-1', T0, T0 + 9 * S, 1)).toHaveLength(1);
    expect(await index.segmentById(a.id)).toEqual(a);
    expect(await index.segmentById(a.id + 1000)).toBeUndefined();
    expect((await index.lastSegment('cam-1'))?.id).toBe(b.id);
    expect(await index.lastSegment('cam-9')).toBeUndefined();
  });

  it('keeps runs as segments come and go, and gaps as the recorder writes them', async () => {
    for (let i = 0; i < 3; i++) await index.addSegment(seg('cam-1', T0 + i * 4 * S, T0 + (i + 1) * 4 * S));
    // A reconnect: 5 s missing, then recording again.
    const late = await index.addSegment(seg('cam-1', T0 + 17 * S, T0 + 21 * S));
    await index.addGap({ camera: 'cam-1', startMs: T0 + 12 * S, endMs: T0 + 17 * S, reason: 'stream lost' });
    expect(await index.runs('cam-1', 0, T0 + 60 * S)).toEqual([
      { startMs: T0, endMs: T0 + 12 * S },
      { startMs: T0 + 17 * S, endMs: T0 + 21 * S },
    ]);
    expect(await index.gaps('cam-1', T0, T0 + 60 * S)).toEqual([
      { camera: 'cam-1', startMs: T0 + 12 * S, endMs: T0 + 17 * S, reason: 'stream lost' },
    ]);
    expect(await index.gaps('cam-2', T0, T0 + 60 * S)).toEqual([]);
    // A segment the reconcile found fills the hole (within CONTIGUOUS_MS each side): one run.
    await index.addSegment(seg('cam-1', T0 + 12 * S + 200, T0 + 16 * S + 900));
    expect(await index.runs('cam-1', 0, T0 + 60 * S)).toEqual([{ startMs: T0, endMs: T0 + 21 * S }]);
    // Taking out a middle segment splits the run; the first and the last shrink it.
    const all = await index.segments('cam-1', 0, T0 + 60 * S);
    await index.removeSegments([all[1]!]);
    expect(await index.runs('cam-1', 0, T0 + 60 * S)).toEqual([
      { startMs: T0, endMs: T0 + 4 * S },
      { startMs: T0 + 8 * S, endMs: T0 + 21 * S },
    ]);
    await index.removeSegments([all[0]!, late]);
    expect(await index.runs('cam-1', 0, T0 + 60 * S)).toEqual([
      { startMs: T0 + 8 * S, endMs: T0 + 16 * S + 900 },
    ]);
    expect(await index.pruneGaps(T0 + 17 * S)).toBe(0);
    expect(await index.pruneGaps(T0 + 18 * S)).toBe(1);
    expect(await index.gaps('cam-1', 0, T0 + 60 * S)).toEqual([]);
  });

  it('segments of one camera indexed at once (recorder and reconcile) still make one run', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        index.addSegment(seg('cam-1', T0 + i * 4 * S, T0 + (i + 1) * 4 * S)),
      ),
    );
    expect(await index.runs('cam-1', 0, T0 + 60 * S)).toEqual([{ startMs: T0, endMs: T0 + 48 * S }]);
    const all = await index.segments('cam-1', 0, T0 + 60 * S);
    await Promise.all([index.removeSegments(all.slice(0, 3)), index.removeSegments(all.slice(9))]);
    expect(await index.runs('cam-1', 0, T0 + 60 * S)).toEqual([{ startMs: T0 + 12 * S, endMs: T0 + 36 * S }]);
  });

  it('evidence locks protect overlapping segments of their camera (or of all cameras) from retention', async () => {
    const segs = [];
    for (let i = 0; i < 4; i++)
      segs.push(await index.addSegment(seg('cam-1', T0 + i * 4 * S, T0 + (i + 1) * 4 * S)));
    const other = await index.addSegment(seg('cam-2', T0, T0 + 4 * S));
    const lock = await index.lock({
      incidentId: 'inc-1',
      camera: 'cam-1',
      startMs: T0 + 5 * S,
      endMs: T0 + 6 * S,
      reason: 'alarm clip',
      createdBy: 'system',
    });
    expect(await index.isProtected(segs[1]!)).toBe(true);
    expect(await index.isProtected(segs[0]!)).toBe(false);
    expect(await index.isProtected(other)).toBe(false);
    const ids = async (before?: number) =>
      (await index.oldestUnprotected('/rec', 10, before)).map((s) => s.id);
    expect(await ids()).toEqual([segs[0]!.id, other.id, segs[2]!.id, segs[3]!.id]);
    expect(await ids(T0 + 8 * S)).toEqual([segs[0]!.id, other.id]);
    expect(await index.oldestUnprotected('/rec', 1)).toHaveLength(1);
    // A lock without a camera (a whole-site export) holds every camera's footage over its range.
    const all = await index.lock({
      incidentId: null,
      camera: null,
      startMs: T0,
      endMs: T0 + 1,
      reason: 'export x',
      createdBy: 'inv',
    });
    expect(await index.isProtected(other)).toBe(true);
    expect(await ids()).toEqual([segs[2]!.id, segs[3]!.id]);
    expect(await index.lockById(lock.id)).toEqual(lock);
    expect(await index.locks({ incidentId: 'inc-1' })).toEqual([lock]);
    expect(await index.locks({ reason: 'export x' })).toEqual([all]);
    expect((await index.locks()).map((l) => l.id).sort()).toEqual([lock.id, all.id].sort());
    expect(await index.unlock(all.id)).toBe(true);
    expect(await index.unlock(all.id)).toBe(false);
    expect(await ids()).toEqual([segs[0]!.id, other.id, segs[2]!.id, segs[3]!.id]);
  });

  it('answers retention: bytes, rate, segments by start and by page, paths of one directory', async () => {
    await index.addSegment(seg('cam_1', T0, T0 + 4 * S, { bytes: 400_000 }));
    await index.addSegment(seg('cam_1', T0 + 4 * S, T0 + 8 * S, { bytes: 400_000 }));
    // `_` is a LIKE wildcard: this camera's directory must not be taken for cam_1's.
    await index.addSegment(seg('camx1', T0, T0 + 4 * S, { bytes: 200_000 }));
    await index.addSegment(
      seg('cam_1', T0 + 86_400 * S, T0 + 86_404 * S, { path: 'cam_1/2026-01-03/x.mp4' }),
    );
    await index.addSegment(seg('cam-3', T0, T0 + 4 * S, { storage: '/other', bytes: 7 }));
    expect(await index.totalBytes('/rec')).toBe(1_100_000);
    expect(await index.totalBytes('/none')).toBe(0);
    // cam_1: 900 kB over 12 s and camx1 200 kB over 4 s = 1.1 MB over 16 s, times 2 cameras in parallel.
    expect(await index.bytesPerSecond('/rec', T0)).toBeCloseTo((1_100_000 / 16) * 2, 6);
    expect(await index.bytesPerSecond('/rec', T0 + 10 * 86_400 * S)).toBe(0);
    expect((await index.segmentsStarting('/rec', T0, T0 + 5 * S)).map((s) => s.path).sort()).toEqual([
      `cam_1/${DAY}/${T0}.mp4`,
      `cam_1/${DAY}/${T0 + 4 * S}.mp4`,
      `camx1/${DAY}/${T0}.mp4`,
    ]);
    const page1 = await index.segmentPage('/rec', 0, 2);
    const page2 = await index.segmentPage('/rec', page1[1]!.id, 10);
    expect(page1).toHaveLength(2);
    expect(page2).toHaveLength(2);
    expect(page2[0]!.id).toBeGreaterThan(page1[1]!.id);
    expect([...(await index.pathsIn('/rec', `cam_1/${DAY}`))].sort()).toEqual([
      `cam_1/${DAY}/${T0}.mp4`,
      `cam_1/${DAY}/${T0 + 4 * S}.mp4`,
    ]);
    expect([...(await index.pathsIn('/rec', 'cam_1/2026-01-03'))]).toEqual(['cam_1/2026-01-03/x.mp4']);
    expect((await index.pathsIn('/other', `cam_1/${DAY}`)).size).toBe(0);
  });
});
