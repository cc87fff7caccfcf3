import { readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { assembleClip } from '../../streams/clip-assembler.js';
import { CameraRecorder } from '../../streams/recorder.js';
import { probeTiming } from './media-probe.js';
import { feedTestStream, probe, recordTestFootage, tempRecordingStore } from './recording-fixture.js';

const BASE = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
const ALL = Number.MAX_SAFE_INTEGER;

describe('recorder: segments from a real H.264 fMP4 stream', () => {
  let store: ReturnType<typeof tempRecordingStore>;
  afterEach(async () => store?.cleanup());

  it('cuts keyframe-aligned, contiguous segments, each indexed, timed from zero and playable alone', async () => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera: 'cam-1', baseMs: BASE, seconds: 7, segmentSeconds: 2 });
    const segs = await store.index.segments('cam-1', 0, ALL);
    expect(segs.map((s) => [s.startMs - BASE, s.endMs - BASE])).toEqual([
      [0, 2000],
      [2000, 4000],
      [4000, 6000],
      [6000, 7000],
    ]);
    for (const s of segs) {
      expect(s.path).toBe(`cam-1/2026-01-02/${s.startMs}.mp4`);
      expect(s).toMatchObject({
        keyframe: true,
        zeroBased: true,
        frames: ((s.endMs - s.startMs) / 1000) * 25,
      });
      expect(s.keyframes).toEqual(s.endMs - s.startMs === 2000 ? [0, 1000] : [0]);
      expect(s.codec).toMatch(/^video\/mp4; codecs="avc1\./);
      const file = join(store.storage, s.path);
      expect(statSync(file).size).toBe(s.bytes);
      // The bug of issue 14: a segment cut 4 s into the stream said it started at 4 s (duration 6 s).
      const t = await probeTiming(file);
      expect(t.start).toBe(0);
      expect(t.duration).toBeCloseTo((s.endMs - s.startMs) / 1000, 3);
      expect(t.packets).toHaveLength(s.frames!);
      expect(t.monotonic).toBe(true);
    }
    expect(await store.index.gaps('cam-1', 0, ALL)).toEqual([]);
    expect(await store.index.runs('cam-1', 0, ALL)).toEqual([{ startMs: BASE, endMs: BASE + 7000 }]);
  });

  it('a segment cut off mid-fragment (a writer that died) still plays up to the cut', async () => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera: 'cam-1', baseMs: BASE, seconds: 4, segmentSeconds: 4 });
    const [seg] = await store.index.segments('cam-1', 0, ALL);
    const file = join(store.storage, seg!.path);
    const whole = readFileSync(file).length;
    truncateSync(file, Math.floor(whole * 0.8));
    const p = await probe(file);
    expect(p.frames).toBeGreaterThanOrEqual(50);
    expect(p.frames).toBeLessThan(100);
  });

  it('records a gap between two runs of the same camera, with the reason the stream ended', async () => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera: 'cam-2', baseMs: BASE, seconds: 2 });
    await recordTestFootage({ ...store, camera: 'cam-2', baseMs: BASE + 10_000, seconds: 2 });
    expect(await store.index.gaps('cam-2', 0, ALL)).toEqual([
      { camera: 'cam-2', startMs: BASE + 2000, endMs: BASE + 10_000, reason: 'not recording' },
    ]);
    expect(await store.index.runs('cam-2', 0, ALL)).toEqual([
      { startMs: BASE, endMs: BASE + 2000 },
      { startMs: BASE + 10_000, endMs: BASE + 12_000 },
    ]);
  });

  it.each([
    ['../../etc/passwd', '____etc_passwd'],
    ['cam/1', 'cam_1'],
    ['.hidden', '_hidden'],
  ])('sanitises the camera id %s into one directory name', async (camera, dir) => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera, baseMs: BASE, seconds: 1 });
    const [seg] = await store.index.segments(camera, 0, ALL);
    expect(seg!.path.split('/')[0]).toBe(dir);
    expect(seg!.path.split('/')).toHaveLength(3);
  });

  it('footage still in the open segment is waited for and clipped without waiting for the cut', async () => {
    store = tempRecordingStore();
    const rec = new CameraRecorder('cam-1', {
      index: store.index,
      writer: store.writer,
      storageFor: () => store.storage,
      segmentSeconds: 30,
      log: silentLogger,
    });
    store.writer.onWritten = (_id, endMs) => rec.written(endMs);
    const covered = rec.waitFor(BASE + 2500, 60_000);
    await feedTestStream(rec, { baseMs: BASE, seconds: 4 });
    expect(await covered).toBe(true);
    expect(await store.index.segments('cam-1', 0, ALL)).toEqual([]);
    // The writer thread acknowledges every fragment: the open segment reaches the last one.
    await expect.poll(() => rec.openSegment()?.endMs, { timeout: 5000 }).toBe(BASE + 4000);
    const clip = await assembleClip({
      index: store.index,
      camera: 'cam-1',
      fromMs: BASE + 1000,
      toMs: BASE + 2500,
      out: join(store.dir, 'open.mp4'),
      open: rec.openSegment(),
    });
    expect((await probe(clip.file)).frames).toBe(100);
    expect((await probeTiming(clip.file)).duration).toBeCloseTo(4, 3);
    // Nothing more comes: a wait beyond the footage ends false at its timeout.
    expect(await rec.waitFor(BASE + 60_000, 20)).toBe(false);
    await rec.stop();
    expect(await store.index.segments('cam-1', 0, ALL)).toHaveLength(1);
  });

  it('a write error never throws into the hub; recording starts again at a keyframe after it', async () => {
    store = tempRecordingStore();
    let broken = true;
    const rec = new CameraRecorder('cam-1', {
      index: store.index,
      writer: store.writer,
      // A path under a regular file cannot be created (ENOTDIR), like a full or failed disk.
      storageFor: () => (broken ? join(store.dir, 'test.db', 'recordings') : store.storage),
      segmentSeconds: 2,
      log: silentLogger,
    });
    await feedTestStream(
      {
        onInit: (i) => rec.onInit(i),
        onFragment: (f) => {
          if (f.wallclock >= BASE + 2000) broken = false;
          rec.onFragment(f);
          // The thread reports the failed open a moment later, as a real disk would.
          return new Promise((r) => setTimeout(r, 5));
        },
      },
      { baseMs: BASE, seconds: 6 },
    );
    await rec.stop();
    const segs = await store.index.segments('cam-1', 0, ALL);
    expect(segs.length).toBeGreaterThan(0);
    expect(segs[0]!.startMs).toBeGreaterThanOrEqual(BASE + 2000);
    expect(segs.every((s) => (s.startMs - BASE) % 1000 === 0)).toBe(true);
    const gaps = await store.index.gaps('cam-1', 0, ALL);
    expect(gaps).toEqual([]);
  });
});
