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

/** Camera cam-1's recorder on `store`, cutting `segmentSeconds` segments. */
const cam1Recorder = (store: ReturnType<typeof tempRecordingStore>, segmentSeconds: number) =>
  new CameraRecorder('cam-1', {
    index: store.index,
    writer: store.writer,
    storageFor: () => store.storage,
    segmentSeconds,
    log: silentLogger,
  });

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
    const rec = cam1Recorder(store, 30);
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

  /**
   * Ten or twenty seconds of 200 ms fragments, as the hub's ffmpeg writes them, arriving `lateBy` ms
   * after their media end. `taken(ms)` is when the frame at media time `ms` was really taken in that
   * scenario; every run of the index must sit where its footage was taken: its start within a
   * fragment and its keyframe wait, its end within the clock's 2 s limit and a fragment.
   */
  it.each([
    {
      // The bug console-video showed: frames taken at 09:28:37 indexed at 09:28:26.
      what: 'a source whose media clock stopped for 11 s: what came after is placed where it arrived, after a gap',
      seconds: 10,
      lateBy: (end: number) => (end > 4000 ? 11_000 : 0),
      taken: (ms: number) => ms + (ms >= 4000 ? 11_000 : 0),
      runs: [
        [0, 4000],
        [15_000, 21_000],
      ],
    },
    {
      what: 'a starved source whose media clock runs at half speed: no run drifts more than the limit',
      seconds: 20,
      lateBy: (end: number) => Math.max(0, end - 4000),
      taken: (ms: number) => ms + Math.max(0, ms - 4000),
    },
    {
      what: 'a network stall whose backlog comes in a burst: the footage stays where media time puts it',
      seconds: 10,
      lateBy: (end: number) => (end > 4000 ? Math.max(0, 12_000 - end) : 0),
      taken: (ms: number) => ms,
      runs: [[0, 10_000]],
    },
  ])('$what', async ({ seconds, lateBy, taken, runs }) => {
    store = tempRecordingStore();
    const rec = cam1Recorder(store, 2);
    await feedTestStream(rec, { baseMs: BASE, seconds, encoderArgs: ['-frag_duration', '200000'], lateBy });
    rec.onEnd('end of test stream');
    await rec.stop();
    const rel = (xs: { startMs: number; endMs: number }[]) =>
      xs.map((x) => [x.startMs - BASE, x.endMs - BASE]);
    const found = rel(await store.index.runs('cam-1', 0, ALL));
    if (runs) expect(found).toEqual(runs);
    // Each run starts at a keyframe (every second of media), the first one after where the last run
    // stopped; no frame is dropped inside a run.
    const segs = await store.index.segments('cam-1', 0, ALL);
    let media = 0;
    for (const [start, end] of found) {
      media = Math.ceil(media / 1000 - 1e-6) * 1000;
      const frames = segs
        .filter((x) => x.startMs - BASE >= start! && x.endMs - BASE <= end!)
        .reduce((n, x) => n + x.frames!, 0);
      const length = (frames / 25) * 1000;
      expect(end! - start!).toBeCloseTo(length, 0);
      expect(Math.abs(start! - taken(media))).toBeLessThanOrEqual(1000);
      // The last frame's (40 ms) time.
      expect(Math.abs(end! - (taken(media + length - 40) + 40))).toBeLessThanOrEqual(2400);
      media += length;
    }
    for (const g of await store.index.gaps('cam-1', 0, ALL))
      expect(g.reason).toMatch(/^stream fell \d+ ms behind the wall clock$/);
    // Each file holds what its row says: timed from zero, as long as the wall time it covers.
    for (const x of segs) {
      const t = await probeTiming(join(store.storage, x.path));
      expect(t.start).toBe(0);
      expect(t.duration).toBeCloseTo((x.endMs - x.startMs) / 1000, 3);
    }
  });

  it('a write error never throws into the hub; recording starts again at a keyframe after it', async () => {
    store = tempRecordingStore();
    let broken = true;
    const failed: string[] = [];
    const rec = new CameraRecorder('cam-1', {
      index: store.index,
      writer: store.writer,
      // A path under a regular file cannot be created (ENOTDIR), like a full or failed disk.
      storageFor: () => (broken ? join(store.dir, 'test.db', 'recordings') : store.storage),
      segmentSeconds: 2,
      log: silentLogger,
      // What the desks' system badge counts (recording's health).
      onFailed: (camera) => failed.push(camera),
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
    // Each failed write told, and nothing after the disk came back.
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set(failed)).toEqual(new Set(['cam-1']));
    expect(segs.every((s) => (s.startMs - BASE) % 1000 === 0)).toBe(true);
    const gaps = await store.index.gaps('cam-1', 0, ALL);
    expect(gaps).toEqual([]);
  });
});
