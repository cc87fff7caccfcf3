import { copyFileSync, existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { RetentionMaintainer } from '../../streams/retention-maintainer.js';
import { recordTestFootage, tempRecordingStore } from './recording-fixture.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);

describe('retention maintainer', () => {
  let store: ReturnType<typeof tempRecordingStore>;
  /** cam-1: 4 segments of 2 s starting 3 days ago; cam-2: 4 segments starting 1 hour ago. */
  beforeEach(async () => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera: 'cam-1', baseMs: NOW - 3 * DAY, seconds: 8 });
    await recordTestFootage({ ...store, camera: 'cam-2', baseMs: NOW - 3_600_000, seconds: 8 });
  });
  afterEach(() => store?.cleanup());

  const maint = (o: { maxBytes?: number; free?: number; days?: number }) =>
    new RetentionMaintainer({
      index: store.index,
      paths: [{ path: store.storage, maxBytes: o.maxBytes }],
      retentionDays: o.days ?? 30,
      minFreeHours: 1,
      log: silentLogger,
      now: () => NOW,
      freeBytes: () => o.free ?? Number.MAX_SAFE_INTEGER,
    });
  const left = (camera: string) => store.index.segments(camera, 0, Number.MAX_SAFE_INTEGER);
  const all = () => store.index.allSegments();

  it('deletes by age, except segments under an evidence lock', () => {
    const [, second] = left('cam-1');
    store.index.lock({
      incidentId: 'inc-1',
      camera: 'cam-1',
      startMs: second!.startMs + 100,
      endMs: second!.startMs + 200,
      reason: 'alarm clip',
      createdBy: 'test',
    });
    const r = maint({ days: 2 }).runOnce();
    expect(r.byAge).toBe(3);
    expect(left('cam-1').map((s) => s.id)).toEqual([second!.id]);
    expect(left('cam-2')).toHaveLength(4);
    for (const s of all()) expect(existsSync(join(store.storage, s.path))).toBe(true);
  });

  it('keeps each storage path under its byte cap, oldest first, files and rows together', () => {
    const cap = left('cam-2').reduce((n, s) => n + s.bytes, 0);
    const r = maint({ maxBytes: cap }).runOnce();
    expect(r.byBytes).toBe(4);
    expect(left('cam-1')).toHaveLength(0);
    expect(store.index.totalBytes(store.storage)).toBeLessThanOrEqual(cap);
  });

  it.each([
    ['plenty of room', Number.MAX_SAFE_INTEGER, 0],
    ['no room at all', 0, 8],
  ])('purges by free disk space (%s) but never a locked segment', (_what, free, purged) => {
    store.index.lock({
      incidentId: null,
      camera: null,
      startMs: NOW - 2 * 3_600_000,
      endMs: NOW,
      reason: 'case',
      createdBy: 'test',
    });
    const r = maint({ free }).runOnce();
    expect(r.byDisk).toBe(Math.min(purged, 4));
    expect(left('cam-2')).toHaveLength(4);
  });

  it('reconciles at start: drops rows without files, indexes playable orphans, deletes broken ones', async () => {
    const [a, b] = left('cam-1');
    unlinkSync(join(store.storage, a!.path)); // a row without a file
    // A segment whose row was lost (a crash between close and insert): still playable.
    const orphan = join(store.storage, 'cam-1', b!.path.split('/')[1]!, `${b!.startMs + 50_000}.mp4`);
    copyFileSync(join(store.storage, b!.path), orphan);
    // A file with no video in it.
    const broken = join(store.storage, 'cam-1', b!.path.split('/')[1]!, `${b!.startMs + 90_000}.mp4`);
    writeFileSync(broken, readFileSync(orphan).subarray(0, 100));
    const rep = await maint({}).reconcile();
    expect(rep).toEqual({ rowsRemoved: 1, filesIndexed: 1, filesDeleted: 1 });
    expect(existsSync(broken)).toBe(false);
    const recovered = left('cam-1').find((s) => s.startMs === b!.startMs + 50_000);
    expect(recovered).toMatchObject({ endMs: b!.startMs + 52_000, codec: b!.codec });
    expect(await maint({}).reconcile()).toEqual({ rowsRemoved: 0, filesIndexed: 0, filesDeleted: 0 });
  });
});
