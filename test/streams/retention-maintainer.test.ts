import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { RetentionMaintainer } from '../../streams/retention-maintainer.js';
import { recordTestFootage, tempRecordingStore } from './recording-fixture.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const ALL = Number.MAX_SAFE_INTEGER;

describe('retention maintainer', () => {
  let store: ReturnType<typeof tempRecordingStore>;
  /** cam-1: 4 segments of 2 s starting 3 days ago; cam-2: 4 segments starting 1 hour ago. */
  beforeEach(async () => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera: 'cam-1', baseMs: NOW - 3 * DAY, seconds: 8 });
    await recordTestFootage({ ...store, camera: 'cam-2', baseMs: NOW - 3_600_000, seconds: 8 });
  });
  afterEach(async () => store?.cleanup());

  const maint = (o: { maxBytes?: number; free?: number; days?: number; perPass?: number }) =>
    new RetentionMaintainer({
      index: store.index,
      paths: [{ path: store.storage, maxBytes: o.maxBytes }],
      retentionDays: o.days ?? 30,
      minFreeHours: 1,
      log: silentLogger,
      now: () => NOW,
      freeBytes: async () => o.free ?? Number.MAX_SAFE_INTEGER,
      ...(o.perPass ? { maxDeletesPerPass: o.perPass } : {}),
    });
  const left = (camera: string) => store.index.segments(camera, 0, ALL);
  const files = async (camera: string) =>
    (await left(camera)).filter((s) => existsSync(join(store.storage, s.path))).length;

  it('deletes by age, except segments under an evidence lock; the run shrinks around the kept one', async () => {
    const [, second] = await left('cam-1');
    await store.index.lock({
      incidentId: 'inc-1',
      camera: 'cam-1',
      startMs: second!.startMs + 100,
      endMs: second!.startMs + 200,
      reason: 'alarm clip',
      createdBy: 'test',
    });
    const r = await maint({ days: 2 }).runOnce();
    expect(r).toMatchObject({ byAge: 3, more: false });
    expect((await left('cam-1')).map((s) => s.id)).toEqual([second!.id]);
    expect(await store.index.runs('cam-1', 0, ALL)).toEqual([
      { startMs: second!.startMs, endMs: second!.endMs },
    ]);
    expect(await left('cam-2')).toHaveLength(4);
    expect(await files('cam-2')).toBe(4);
  });

  it('an evidence lock placed while a pass has picked its segments keeps them: file, row and run', async () => {
    const [, second] = await left('cam-1');
    // The investigator's lock lands between the pass's read of the unlocked segments and its deletes.
    const read = store.index.oldestUnprotected.bind(store.index);
    store.index.oldestUnprotected = async (...args) => {
      const picked = await read(...args);
      if (picked.some((s) => s.id === second!.id))
        await store.index.lock({
          incidentId: 'inc-2',
          camera: 'cam-1',
          startMs: second!.startMs + 100,
          endMs: second!.startMs + 200,
          reason: 'export',
          createdBy: 'investigator',
        });
      return picked;
    };
    const r = await maint({ days: 2 }).runOnce();
    expect(r).toMatchObject({ byAge: 3, more: false });
    expect((await left('cam-1')).map((s) => s.id)).toEqual([second!.id]);
    expect(existsSync(join(store.storage, second!.path))).toBe(true);
    expect(await store.index.runs('cam-1', 0, ALL)).toEqual([
      { startMs: second!.startMs, endMs: second!.endMs },
    ]);
  });

  it('a segment whose file cannot be deleted stays indexed, and the next pass deletes it', async () => {
    const [first] = await left('cam-1');
    const file = join(store.storage, first!.path);
    // A directory where the file was: unlink fails (EISDIR), whoever runs it, as EIO or EACCES would.
    const bytes = readFileSync(file);
    unlinkSync(file);
    mkdirSync(file);
    const r = await maint({ days: 2 }).runOnce();
    expect(r).toMatchObject({ byAge: 3 });
    expect((await left('cam-1')).map((s) => s.path)).toEqual([first!.path]);
    expect(await store.index.runs('cam-1', 0, ALL)).toEqual([
      { startMs: first!.startMs, endMs: first!.endMs },
    ]);
    rmdirSync(file);
    writeFileSync(file, bytes);
    expect(await maint({ days: 2 }).runOnce()).toMatchObject({ byAge: 1 });
    expect(await left('cam-1')).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });

  it('short of room: purges the oldest early and says so; full when all that could go is locked; well again with room', async () => {
    const free = { bytes: 1 };
    const m = new RetentionMaintainer({
      index: store.index,
      paths: [{ path: store.storage }],
      retentionDays: 30,
      minFreeHours: 1,
      log: silentLogger,
      now: () => NOW,
      freeBytes: async () => free.bytes,
    });
    // The last hour's footage (cam-2) is evidence; cam-1's is not.
    await store.index.lock({
      incidentId: 'inc-2',
      camera: 'cam-2',
      startMs: 0,
      endMs: NOW,
      reason: 'alarm clip',
      createdBy: 'test',
    });
    // Nothing judged before the first pass.
    expect(m.storage()).toEqual([]);
    const r = await m.runOnce();
    expect(r.byDisk).toBe(4);
    expect(await left('cam-1')).toEqual([]);
    expect(m.storage()).toEqual([
      { path: store.storage, short: true, full: false, freeBytes: 1, neededBytes: expect.any(Number) },
    ]);
    expect(m.storage()[0]!.neededBytes).toBeGreaterThan(1);
    // Everything left is under an evidence lock: nothing can go, the disk stays full.
    expect((await m.runOnce()).byDisk).toBe(0);
    expect(await left('cam-2')).toHaveLength(4);
    expect(m.storage()[0]).toMatchObject({ short: true, full: true });
    free.bytes = Number.MAX_SAFE_INTEGER;
    await m.runOnce();
    expect(m.storage()[0]).toMatchObject({ short: false, full: false });
  });

  it('deletes at most maxDeletesPerPass segments a pass and says more is due', async () => {
    const m = maint({ days: 0.001, perPass: 3 });
    expect(await m.runOnce()).toMatchObject({ byAge: 3, more: true });
    expect(await m.runOnce()).toMatchObject({ byAge: 3, more: true });
    expect(await m.runOnce()).toMatchObject({ byAge: 2, more: false });
    expect(await store.index.runs('cam-1', 0, ALL)).toEqual([]);
  });

  it('keeps each storage path under its byte cap, oldest first, files and rows together', async () => {
    const cap = (await left('cam-2')).reduce((n, s) => n + s.bytes, 0);
    const r = await maint({ maxBytes: cap }).runOnce();
    expect(r.byBytes).toBe(4);
    expect(await left('cam-1')).toHaveLength(0);
    expect(await store.index.totalBytes(store.storage)).toBeLessThanOrEqual(cap);
  });

  it.each([
    ['plenty of room', Number.MAX_SAFE_INTEGER, 0],
    ['no room at all', 0, 4],
  ])('purges by free disk space (%s) but never a locked segment', async (_what, free, purged) => {
    await store.index.lock({
      incidentId: null,
      camera: null,
      startMs: NOW - 2 * 3_600_000,
      endMs: NOW,
      reason: 'case',
      createdBy: 'test',
    });
    const r = await maint({ free }).runOnce();
    expect(r.byDisk).toBe(purged);
    expect(await left('cam-2')).toHaveLength(4);
  });

  it('reconciles: drops rows without files, indexes playable orphans, deletes broken ones', async () => {
    const [a, b] = await left('cam-1');
    unlinkSync(join(store.storage, a!.path)); // a row without a file
    // A segment whose row was lost (a crash between close and insert): still playable.
    const day = b!.path.split('/')[1]!;
    const orphan = join(store.storage, 'cam-1', day, `${b!.startMs + 50_000}.mp4`);
    copyFileSync(join(store.storage, b!.path), orphan);
    // A file with no video in it.
    const broken = join(store.storage, 'cam-1', day, `${b!.startMs + 90_000}.mp4`);
    writeFileSync(broken, readFileSync(orphan).subarray(0, 100));
    const rep = await maint({}).reconcile();
    expect(rep).toEqual({ rowsRemoved: 1, filesIndexed: 1, filesDeleted: 1 });
    expect(existsSync(broken)).toBe(false);
    const recovered = (await left('cam-1')).find((s) => s.startMs === b!.startMs + 50_000);
    expect(recovered).toMatchObject({
      endMs: b!.startMs + 52_000,
      codec: b!.codec,
      zeroBased: true,
      frames: 50,
      keyframes: [0, 1000],
    });
    // The run of the removed first segment shrank; the recovered one is a run of its own.
    expect(await store.index.runs('cam-1', 0, ALL)).toEqual([
      { startMs: b!.startMs, endMs: a!.startMs + 8000 },
      { startMs: b!.startMs + 50_000, endMs: b!.startMs + 52_000 },
    ]);
    expect(await maint({}).reconcile()).toEqual({ rowsRemoved: 0, filesIndexed: 0, filesDeleted: 0 });
  });

  it('recovers only the newest unindexed segments of each camera before recording resumes', async () => {
    const segs = await left('cam-2');
    const last = segs[segs.length - 1]!;
    const dir = join(store.storage, 'cam-2', last.path.split('/')[1]!);
    copyFileSync(join(store.storage, last.path), join(dir, `${last.endMs}.mp4`));
    // Older than the last indexed segment: not a crash leftover, left for the full reconcile.
    copyFileSync(join(store.storage, last.path), join(dir, `${segs[0]!.startMs - 60_000}.mp4`));
    expect(await maint({}).recoverRecent(['cam-1', 'cam-2'])).toBe(1);
    expect((await left('cam-2')).map((s) => s.startMs)).toContain(last.endMs);
    expect(await store.index.runs('cam-2', 0, ALL)).toEqual([
      { startMs: segs[0]!.startMs, endMs: last.endMs + 2000 },
    ]);
  });
});
