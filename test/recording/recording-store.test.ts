import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WallStore } from '../../src/live/wall-store.js';
import { RecordingStore } from '../../src/recording/recording-store.js';
import { stopSharedPostgres, storeBackends } from '../helpers/postgres.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const BACKENDS = storeBackends('recstore');

afterAll(() => stopSharedPostgres(), 60_000);

describe.each(BACKENDS)('recording store and wall layouts on %s', (_name, open) => {
  let db: Awaited<ReturnType<typeof open>>;
  let rec: RecordingStore;
  beforeEach(async () => {
    db = await open();
    rec = new RecordingStore(db.store.k);
  }, 60_000);
  afterEach(async () => db?.cleanup());

  it('bookmarks: a moment and a range, found by cameras over a range and by incident, removed once', async () => {
    const by = { note: 'man at the door', createdBy: 'inv' };
    const moment = await rec.addBookmark({
      ...by,
      camera: 'cam-1',
      atMs: T0,
      endMs: null,
      incidentId: 'inc-1',
    });
    const range = await rec.addBookmark({
      ...by,
      camera: 'cam-2',
      atMs: T0 - 60_000,
      endMs: T0 + 5_000,
      incidentId: null,
    });
    await rec.addBookmark({ ...by, camera: 'cam-3', atMs: T0, endMs: null, incidentId: null });
    expect(await rec.bookmark(moment.id)).toEqual(moment);
    expect(typeof (await rec.bookmark(range.id))?.endMs).toBe('number');
    // The range started before the window but reaches into it; the moment is inside it.
    expect(await rec.bookmarks({ cameras: ['cam-1', 'cam-2'], fromMs: T0 - 1000, toMs: T0 + 1000 })).toEqual([
      range,
      moment,
    ]);
    expect(await rec.bookmarks({ cameras: ['cam-1', 'cam-2'], fromMs: T0 + 6000, toMs: T0 + 9000 })).toEqual(
      [],
    );
    expect(await rec.bookmarks({ cameras: [], fromMs: 0, toMs: T0 * 2 })).toEqual([]);
    expect(await rec.bookmarks({ incidentId: 'inc-1' })).toEqual([moment]);
    expect(await rec.removeBookmark(moment.id)).toBe(true);
    expect(await rec.removeBookmark(moment.id)).toBe(false);
    expect(await rec.bookmark(moment.id)).toBeUndefined();
  });

  it('markers: the site’s alarms and the camera’s own analytics, with the incident each joined', async () => {
    const ev = (key: string, device: string, type: string, atMs: number) => ({
      key,
      source: 'test',
      device,
      site: 'shop-1',
      type,
      zone: type === 'panic' ? '3' : null,
      cid: null,
      ts: iso(atMs),
      received_at: iso(atMs),
      detail: null,
      correlated_at: null,
    });
    await db.store.k
      .insertInto('events')
      .values([
        ev('e1', 'panel-1', 'panic', T0),
        ev('e2', 'cam-1', 'motion', T0 + 1000),
        ev('e3', 'cam-2', 'motion', T0 + 2000),
        ev('e4', 'cam-1', 'video_loss', T0 + 3000),
        ev('e5', 'panel-1', 'arm', T0 + 4000),
        ev('e6', 'panel-1', 'panic', T0 + 120_000),
      ])
      .execute();
    await db.store.k
      .insertInto('incidents')
      .values({
        id: 'inc-1',
        site: 'shop-1',
        jurisdiction: 'city',
        priority: 1,
        state: 'new',
        rule: 'panic',
        kind: 'alarm',
        confirmed: 0,
        opened_at: iso(T0),
        updated_at: iso(T0),
        acknowledged_at: null,
        closed_at: null,
        confirmed_by: null,
        confirmed_at: null,
        device: null,
        last_event_at: null,
      })
      .execute();
    await db.store.k
      .insertInto('incident_events')
      .values({ incident_id: 'inc-1', event_key: 'e1' })
      .execute();
    expect(await rec.markers('cam-1', 'shop-1', T0, T0 + 60_000)).toEqual([
      { atMs: T0, kind: 'alarm', type: 'panic', device: 'panel-1', zone: '3', incidentId: 'inc-1' },
      { atMs: T0 + 1000, kind: 'motion', type: 'motion', device: 'cam-1', zone: null, incidentId: null },
      { atMs: T0 + 3000, kind: 'video', type: 'video_loss', device: 'cam-1', zone: null, incidentId: null },
    ]);
    expect(await rec.markers('cam-1', 'shop-1', T0, T0 + 60_000, 1)).toHaveLength(1);
    expect(await rec.markers('cam-1', 'shop-2', T0, T0 + 60_000)).toEqual([]);
  });

  it('a wall layout is saved per user and replaced by the next save', async () => {
    const walls = new WallStore(db.store.k);
    expect(await walls.layout(7)).toBeUndefined();
    await walls.save(7, '{"layout":4}', new Date().toISOString());
    await walls.save(8, '{"layout":1}', new Date().toISOString());
    await walls.save(7, '{"layout":9}', new Date().toISOString());
    expect(await walls.layout(7)).toBe('{"layout":9}');
    expect(await walls.layout(8)).toBe('{"layout":1}');
  });
});
