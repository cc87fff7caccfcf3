import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentIndex } from '../../streams/segment-index.js';
import { stopSharedPostgres, storeBackends } from '../helpers/postgres.js';
import { indexedSegment } from './recording-fixture.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
const S = 1000;

const BACKENDS = storeBackends('purged');

afterAll(() => stopSharedPostgres(), 60_000);

describe.each(BACKENDS)('what retention purged of each camera, on %s', (_name, open) => {
  let db: Awaited<ReturnType<typeof open>>;
  let index: SegmentIndex;
  beforeEach(async () => {
    db = await open();
    index = new SegmentIndex(db.store.k, db.store.dialect);
    // cam-1: ten 4 s segments from T0; cam-2: two.
    for (let i = 0; i < 10; i++)
      await index.addSegment(indexedSegment('cam-1', T0 + i * 4 * S, T0 + (i + 1) * 4 * S));
    for (let i = 0; i < 2; i++)
      await index.addSegment(indexedSegment('cam-2', T0 + i * 4 * S, T0 + (i + 1) * 4 * S));
  }, 60_000);
  afterEach(async () => db?.cleanup());

  const cam1 = () => index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);

  it('a camera retention never touched: its oldest kept footage, nothing purged', async () => {
    expect(await index.kept('cam-1')).toEqual({ oldestKeptMs: T0, purgedFromMs: null, purgedUntilMs: null });
    expect(await index.kept('cam-9')).toEqual({
      oldestKeptMs: null,
      purgedFromMs: null,
      purgedUntilMs: null,
    });
  });

  it("retention's claims widen the camera's purged stretch, past a locked segment it keeps", async () => {
    const segs = await cam1();
    // An alarm clip locks the second segment: retention takes the first and the third, keeps it.
    await index.lock({
      incidentId: 'inc-1',
      camera: 'cam-1',
      startMs: segs[1]!.startMs + 100,
      endMs: segs[1]!.startMs + 200,
      reason: 'alarm clip',
      createdBy: 'test',
    });
    const claimed = await index.claimUnprotected(segs.slice(0, 3));
    expect(claimed.map((s) => s.id)).toEqual([segs[0]!.id, segs[2]!.id]);
    expect(await index.kept('cam-1')).toEqual({
      oldestKeptMs: segs[1]!.startMs,
      purgedFromMs: T0,
      purgedUntilMs: segs[2]!.endMs,
    });
    // The next pass takes more: the stretch grows, and never shrinks back.
    await index.claimUnprotected(segs.slice(3, 6));
    expect(await index.kept('cam-1')).toMatchObject({ purgedFromMs: T0, purgedUntilMs: segs[5]!.endMs });
    await index.claimUnprotected(segs.slice(3, 4));
    expect(await index.kept('cam-1')).toMatchObject({ purgedFromMs: T0, purgedUntilMs: segs[5]!.endMs });
    // Per camera: cam-2 was not touched.
    expect(await index.kept('cam-2')).toMatchObject({ oldestKeptMs: T0, purgedUntilMs: null });
  });

  it('rows dropped for lost files, and segments a lock kept, are not counted as purged', async () => {
    const segs = await cam1();
    await index.removeSegments(segs.slice(0, 2));
    expect(await index.kept('cam-1')).toEqual({
      oldestKeptMs: segs[2]!.startMs,
      purgedFromMs: null,
      purgedUntilMs: null,
    });
    await index.lock({
      incidentId: null,
      camera: null,
      startMs: segs[2]!.startMs,
      endMs: segs[9]!.endMs,
      reason: 'export x',
      createdBy: 'test',
    });
    expect(await index.claimUnprotected(segs.slice(2))).toEqual([]);
    expect(await index.kept('cam-1')).toMatchObject({ purgedFromMs: null, purgedUntilMs: null });
  });
});
