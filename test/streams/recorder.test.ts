import { readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probe, recordTestFootage, tempRecordingStore } from './recording-fixture.js';

const BASE = Date.UTC(2026, 0, 2, 3, 4, 5, 0);

describe('recorder: segments from a real H.264 fMP4 stream', () => {
  let store: ReturnType<typeof tempRecordingStore>;
  afterEach(() => store?.cleanup());

  it('cuts keyframe-aligned, contiguous segments, each indexed and playable on its own', async () => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera: 'cam-1', baseMs: BASE, seconds: 7, segmentSeconds: 2 });
    const segs = store.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);
    expect(segs.map((s) => [s.startMs - BASE, s.endMs - BASE])).toEqual([
      [0, 2000],
      [2000, 4000],
      [4000, 6000],
      [6000, 7000],
    ]);
    for (const s of segs) {
      expect(s.path).toBe(`cam-1/2026-01-02/${s.startMs}.mp4`);
      expect(s.keyframe).toBe(true);
      expect(s.codec).toMatch(/^video\/mp4; codecs="avc1\./);
      const file = join(store.storage, s.path);
      expect(statSync(file).size).toBe(s.bytes);
      const p = await probe(file);
      expect(p.frames).toBe(((s.endMs - s.startMs) / 1000) * 25);
    }
    expect(store.index.gaps('cam-1', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('a segment cut off mid-fragment (a writer that died) still plays up to the cut', async () => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera: 'cam-1', baseMs: BASE, seconds: 4, segmentSeconds: 4 });
    const [seg] = store.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);
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
    expect(store.index.gaps('cam-2', 0, Number.MAX_SAFE_INTEGER)).toEqual([
      { camera: 'cam-2', startMs: BASE + 2000, endMs: BASE + 10_000, reason: 'not recording' },
    ]);
  });

  it.each([
    ['../../etc/passwd', '____etc_passwd'],
    ['cam/1', 'cam_1'],
    ['.hidden', '_hidden'],
  ])('sanitises the camera id %s into one directory name', async (camera, dir) => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera, baseMs: BASE, seconds: 1 });
    const [seg] = store.index.segments(camera, 0, Number.MAX_SAFE_INTEGER);
    expect(seg!.path.split('/')[0]).toBe(dir);
    expect(seg!.path.split('/')).toHaveLength(3);
  });
});
