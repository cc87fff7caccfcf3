import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assembleClip, concatList } from '../../streams/clip-assembler.js';
import { segmentRelPath } from '../../streams/segment-paths.js';
import { clockCues, probeTiming } from './media-probe.js';
import { feedTestStream, recordTestFootage, tempRecordingStore } from './recording-fixture.js';

const BASE = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
const FRAME = 0.04;

type Store = ReturnType<typeof tempRecordingStore>;

/**
 * Segments the way the recorder wrote them before issue 14: each fragment keeps its decode time in
 * the upstream, so a segment cut 4 s into the stream starts at 4 s (ffprobe: duration 6 s).
 */
async function recordLegacy(store: Store, camera: string, seconds: number, segmentSeconds: number) {
  let init: Buffer | undefined;
  const frags: { data: Buffer; t: number; key: boolean }[] = [];
  await feedTestStream(
    {
      onInit: (i) => {
        init = i.init;
      },
      onFragment: (f) => {
        frags.push({ data: f.data, t: f.decodeTime / f.timescale, key: f.keyframe });
      },
    },
    { baseMs: BASE, seconds },
  );
  const groups: (typeof frags)[] = [];
  for (const f of frags) {
    const g = groups[groups.length - 1];
    if (g && !(f.key && f.t - g[0]!.t >= segmentSeconds)) g.push(f);
    else groups.push([f]);
  }
  for (const [i, g] of groups.entries()) {
    const startMs = BASE + g[0]!.t * 1000;
    const endMs = BASE + (groups[i + 1]?.[0]?.t ?? seconds) * 1000;
    const path = segmentRelPath(camera, startMs);
    const file = join(store.storage, path);
    mkdirSync(dirname(file), { recursive: true });
    const bytes = Buffer.concat([init!, ...g.map((f) => f.data)]);
    writeFileSync(file, bytes);
    await store.index.addSegment({
      camera,
      startMs,
      endMs,
      bytes: bytes.length,
      storage: store.storage,
      path,
      keyframe: true,
      codec: 'video/mp4',
      zeroBased: false,
    });
  }
}

describe('clip timing: timestamps from zero, continuous, duration = the wall time covered', () => {
  let store: Store;
  afterEach(async () => store?.cleanup());

  it('across 60 segment boundaries, a 60 s clip is 60 s: no offset added up, no hole, no frozen frame', async () => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera: 'cam-1', baseMs: BASE, seconds: 61, segmentSeconds: 1 });
    const segs = await store.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);
    expect(segs).toHaveLength(61);
    const out = join(store.dir, 'minute.mp4');
    const clip = await assembleClip({
      index: store.index,
      camera: 'cam-1',
      fromMs: BASE + 500,
      toMs: BASE + 60_500,
      out,
    });
    expect([clip.startMs, clip.endMs]).toEqual([BASE, BASE + 61_000]);
    const t = await probeTiming(out);
    expect(t.start).toBe(0);
    expect(Math.abs(t.duration - 61)).toBeLessThanOrEqual(FRAME);
    expect(t.packets).toHaveLength(61 * 25);
    expect(t.monotonic).toBe(true);
    expect(t.frameInterval).toBeCloseTo(FRAME, 4);
    expect(t.maxStep).toBeCloseTo(FRAME, 4);
    // Every second's keyframe sits on its second: the clip is exactly where the wall clock says.
    expect(t.packets.filter((p) => p.key).map((p) => Math.round(p.pts * 1000))).toEqual(
      Array.from({ length: 61 }, (_, i) => i * 1000),
    );
    const cues = await clockCues(out);
    expect(cues).toHaveLength(61);
    expect(cues[60]).toEqual({ at: 60, text: '2026-01-02 11:05:05 +08:00' });
  });

  it('segments recorded before the fix (upstream timestamps) still make a clip of the right length', async () => {
    store = tempRecordingStore();
    await recordLegacy(store, 'old-cam', 12, 2);
    const segs = await store.index.segments('old-cam', 0, Number.MAX_SAFE_INTEGER);
    expect(segs.map((s) => s.zeroBased)).toEqual(Array(6).fill(false));
    // The file of the 4th segment claims to end at 8 s: what made 61 s of clip report 4,081 s.
    expect((await probeTiming(join(store.storage, segs[3]!.path))).duration).toBeCloseTo(8, 3);
    expect(concatList(segs)).toContain('duration 2.000');
    const out = join(store.dir, 'legacy.mp4');
    await assembleClip({ index: store.index, camera: 'old-cam', fromMs: BASE, toMs: BASE + 12_000, out });
    const t = await probeTiming(out);
    expect(t.start).toBe(0);
    expect(Math.abs(t.duration - 12)).toBeLessThanOrEqual(FRAME);
    expect(t.packets).toHaveLength(300);
    expect(t.monotonic).toBe(true);
    expect(t.maxStep).toBeCloseTo(FRAME, 4);
  });

  it('the segment still being written is cut where its snapshot ends, though its file has grown since', async () => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera: 'cam-1', baseMs: BASE, seconds: 8, segmentSeconds: 4 });
    const [first, second] = await store.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);
    expect([first?.endMs, second?.endMs]).toEqual([BASE + 4000, BASE + 8000]);
    // As the recorder hands it over mid-segment: not indexed yet, 2.5 s written when the clip starts;
    // by the time ffmpeg reads the file it holds all 4 s.
    await store.k.deleteFrom('recording_segments').where('id', '=', second!.id).execute();
    const open = { ...second!, id: -1, endMs: BASE + 6500 };
    expect(concatList([first!, open])).toContain('outpoint 2.500');
    const out = join(store.dir, 'open.mp4');
    const clip = await assembleClip({
      index: store.index,
      camera: 'cam-1',
      fromMs: BASE,
      toMs: BASE + 8000,
      out,
      open,
    });
    expect([clip.startMs, clip.endMs, clip.duration]).toEqual([BASE, BASE + 6500, 6.5]);
    const t = await probeTiming(out);
    expect(Math.abs(t.duration - 6.5)).toBeLessThanOrEqual(FRAME);
    expect(t.packets).toHaveLength(100 + 63); // the second file: frames at 0, 0.04, … 2.48 s
    expect(t.monotonic).toBe(true);
    expect(t.maxStep).toBeCloseTo(FRAME, 4);
  });
});
