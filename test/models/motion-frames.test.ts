import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MotionDetector } from '../../models/motion-detector.js';
import { FrameReader, readFrames } from '../../models/motion-frames.js';
import { renderClip } from '../fixtures/models/videos.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sharpeyes-frames-'));
  renderClip(join(dir, 'moving.mp4'), { seconds: 2, moving: true });
  renderClip(join(dir, 'still.mp4'), { seconds: 2, moving: false });
  renderClip(join(dir, 'moving-frag.mp4'), { seconds: 2, moving: true, fragmented: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function motionCount(frames: Uint8Array[]): number {
  const m = new MotionDetector({ width: 160, height: 90, sensitivity: 60 });
  return frames.filter((f) => m.push(f).motion).length;
}

describe('FrameReader', () => {
  it.each([
    { clip: 'moving.mp4', moving: true },
    { clip: 'still.mp4', moving: false },
  ])('decodes $clip to 160×90 grey frames at 5 fps; motion: $moving', async ({ clip, moving }) => {
    const frames = await readFrames({
      url: join(dir, clip),
      width: 160,
      height: 90,
      fps: 5,
      pixelFormat: 'gray',
    });
    expect(frames.length).toBeGreaterThanOrEqual(9);
    expect(frames.length).toBeLessThanOrEqual(11);
    expect(frames.every((f) => f.length === 160 * 90)).toBe(true);
    expect(motionCount(frames) > 0).toBe(moving);
  });

  it('decodes fragmented MP4 written to its stdin, as the streams hub hands it over', async () => {
    const bytes = readFileSync(join(dir, 'moving-frag.mp4'));
    const frames: Uint8Array[] = [];
    const ended = new Promise<string>((resolve) => {
      const reader = new FrameReader({
        width: 160,
        height: 90,
        fps: 5,
        pixelFormat: 'gray',
        onFrame: (f) => frames.push(f),
        onEnd: resolve,
      });
      for (let i = 0; i < bytes.length; i += 4096) reader.input(bytes.subarray(i, i + 4096));
      reader.endInput();
    });
    expect(await ended).toBe('end');
    expect(frames.length).toBeGreaterThanOrEqual(9);
    expect(motionCount(frames)).toBeGreaterThan(0);
  });

  it('reports why a source cannot be read', async () => {
    await expect(
      readFrames({ url: join(dir, 'missing.mp4'), width: 160, height: 90, fps: 2, pixelFormat: 'gray' }),
    ).rejects.toThrow(/ffmpeg exited 1: .*No such file/);
  });

  it('gives RGB frames for the detector', async () => {
    const frames = await readFrames({
      url: join(dir, 'still.mp4'),
      width: 64,
      height: 36,
      fps: 2,
      pixelFormat: 'rgb24',
      durationSeconds: 1,
    });
    expect(frames.length).toBeGreaterThanOrEqual(1);
    expect(frames[0]!.length).toBe(64 * 36 * 3);
    expect(Math.abs(frames[0]![0]! - 0x80)).toBeLessThan(8);
  });
});
