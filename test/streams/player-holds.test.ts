import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlayerHolds } from '../../streams/player-holds.js';
import { SegmentIndex } from '../../streams/segment-index.js';
import { stopSharedPostgres, storeBackends } from '../helpers/postgres.js';
import { indexedSegment } from './recording-fixture.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
const S = 1000;

const BACKENDS = storeBackends('pholds');

afterAll(() => stopSharedPostgres(), 60_000);

/** A 4 s segment of `camera` from `startMs`. */
const seg = (camera: string, startMs: number) => indexedSegment(camera, startMs, startMs + 4 * S);

describe.each(BACKENDS)("the console player's holds on %s", (_name, open) => {
  let db: Awaited<ReturnType<typeof open>>;
  let index: SegmentIndex;
  beforeEach(async () => {
    db = await open();
    index = new SegmentIndex(db.store.k, db.store.dialect);
    for (let i = 0; i < 4; i++) {
      await index.addSegment(seg('cam-1', T0 + i * 4 * S));
      await index.addSegment(seg('cam-2', T0 + i * 4 * S));
    }
    await index.addSegment(seg('cam-3', T0));
  }, 60_000);
  afterEach(async () => db?.cleanup());

  const ids = (segs: { startMs: number; camera: string }[]) =>
    segs.map((s) => `${s.camera}@${s.startMs - T0}`);

  it("holds every camera of the player's window from retention, moves with the playhead, and lets go on release", async () => {
    const holds = new PlayerHolds({ index });
    const placed = await holds.place({
      holder: 'inv',
      cameras: ['cam-1', 'cam-2'],
      startMs: T0,
      endMs: T0 + 8 * S,
    });
    if (!placed.ok) throw new Error('refused');
    // The first two segments of both cameras are held; cam-3 and the later footage are not.
    expect(ids(await index.oldestUnprotected('/rec', 20))).toEqual([
      'cam-3@0',
      'cam-1@8000',
      'cam-2@8000',
      'cam-1@12000',
      'cam-2@12000',
    ]);
    // The investigator plays on: the window moves to the last two segments.
    const moved = await holds.renew(placed.hold.id, 'inv', { startMs: T0 + 8 * S, endMs: T0 + 16 * S });
    expect(moved).toMatchObject({ cameras: ['cam-1', 'cam-2'], startMs: T0 + 8 * S, endMs: T0 + 16 * S });
    expect(ids(await index.oldestUnprotected('/rec', 20))).toEqual([
      'cam-1@0',
      'cam-2@0',
      'cam-3@0',
      'cam-1@4000',
      'cam-2@4000',
    ]);
    // Another user can neither renew nor release it.
    expect(await holds.renew(placed.hold.id, 'someone-else')).toBeUndefined();
    expect(await holds.release(placed.hold.id, 'someone-else')).toBe(false);
    expect(await holds.release(placed.hold.id, 'inv')).toBe(true);
    expect(await holds.release(placed.hold.id, 'inv')).toBe(false);
    expect(await index.oldestUnprotected('/rec', 20)).toHaveLength(9);
  });

  it('a hold the browser stops renewing lapses after its ttl; renewing it then says so', async () => {
    let now = Date.now();
    const holds = new PlayerHolds({ index, ttlMs: 90_000, now: () => now });
    now -= 120_000; // placed two minutes ago; the tab vanished since
    const placed = await holds.place({ holder: 'inv', cameras: ['cam-1'], startMs: T0, endMs: T0 + 16 * S });
    if (!placed.ok) throw new Error('refused');
    expect(await index.oldestUnprotected('/rec', 20)).toHaveLength(9);
    now += 120_000;
    // Its footage may be gone already: the player must place a new hold and read again.
    expect(await holds.renew(placed.hold.id, 'inv')).toBeUndefined();
    expect(await db.store.k.selectFrom('playback_holds').selectAll().execute()).toEqual([]);
  });

  it('a user keeps at most maxPerHolder holds at once; lapsed ones do not count', async () => {
    let now = Date.now();
    const holds = new PlayerHolds({ index, maxPerHolder: 2, ttlMs: 60_000, now: () => now });
    const w = { cameras: ['cam-1', 'cam-2'], startMs: T0, endMs: T0 + 4 * S };
    const a = await holds.place({ holder: 'inv', ...w });
    const b = await holds.place({ holder: 'inv', ...w });
    expect([a.ok, b.ok]).toEqual([true, true]);
    expect(await holds.place({ holder: 'inv', ...w })).toEqual({ ok: false, reason: 'limit', held: 2 });
    // Another investigator is not limited by this one's tabs.
    expect((await holds.place({ holder: 'inv-2', ...w })).ok).toBe(true);
    // Once one lapses, a new one may be placed.
    now += 61_000;
    expect((await holds.place({ holder: 'inv', ...w })).ok).toBe(true);
  });
});
