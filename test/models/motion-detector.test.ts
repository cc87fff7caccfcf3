import { describe, expect, it } from 'vitest';
import { MotionDetector, rgbToGray } from '../../models/motion-detector.js';

const W = 160;
const H = 90;

/** A grey frame with a bright w×h square at (x, y). */
function frame(square?: { x: number; y: number; w: number; h: number }, base = 60): Uint8Array {
  const f = new Uint8Array(W * H).fill(base);
  if (square)
    for (let y = square.y; y < square.y + square.h; y++)
      f.fill(220, y * W + square.x, y * W + square.x + square.w);
  return f;
}

describe('MotionDetector', () => {
  it('reports nothing on a still scene and motion with its region when a square moves in', () => {
    const m = new MotionDetector({ width: W, height: H, sensitivity: 50 });
    expect(m.push(frame()).motion).toBe(false);
    expect(m.push(frame()).motion).toBe(false);
    const r = m.push(frame({ x: 40, y: 30, w: 20, h: 20 }));
    expect(r.motion).toBe(true);
    expect(r.score).toBeCloseTo(400 / (W * H), 4);
    expect(r.region).toEqual({ x: 40 / W, y: 30 / H, w: 20 / W, h: 20 / H });
  });

  it('ignores change inside the mask', () => {
    const m = new MotionDetector({
      width: W,
      height: H,
      sensitivity: 100,
      mask: [{ x: 0, y: 0, w: 0.5, h: 1 }],
    });
    m.push(frame());
    expect(m.push(frame({ x: 10, y: 10, w: 30, h: 30 }))).toEqual({ score: 0, motion: false });
    expect(m.push(frame({ x: 100, y: 10, w: 10, h: 10 })).motion).toBe(true);
  });

  it.each([
    // A 10×10 square is 0.7 % of the frame: seen at high sensitivity only.
    { sensitivity: 95, side: 10, want: true },
    { sensitivity: 20, side: 10, want: false },
    // Half the frame moving is seen at any sensitivity.
    { sensitivity: 1, side: 90, want: true },
  ])('sensitivity $sensitivity, a $side px square → $want', ({ sensitivity, side, want }) => {
    const m = new MotionDetector({ width: W, height: H, sensitivity });
    m.push(frame());
    expect(m.push(frame({ x: 0, y: 0, w: side, h: Math.min(side, H) })).motion).toBe(want);
  });

  it('needs minFrames frames of motion in a row', () => {
    const m = new MotionDetector({ width: W, height: H, sensitivity: 80, minFrames: 2 });
    m.push(frame());
    expect(m.push(frame({ x: 10, y: 10, w: 30, h: 30 })).motion).toBe(false);
    expect(m.push(frame({ x: 50, y: 10, w: 30, h: 30 })).motion).toBe(true);
  });

  it('absorbs a slow change of light', () => {
    const m = new MotionDetector({ width: W, height: H, sensitivity: 70 });
    const seen: boolean[] = [];
    for (let level = 60; level <= 90; level += 2) seen.push(m.push(frame(undefined, level)).motion);
    expect(seen.every((s) => !s)).toBe(true);
  });

  it('refuses a frame of the wrong size', () => {
    const m = new MotionDetector({ width: W, height: H });
    expect(() => m.push(new Uint8Array(10))).toThrow(/frame of 10 bytes/);
  });

  it('converts RGB to luma', () => {
    expect(Array.from(rgbToGray(Uint8Array.from([255, 255, 255, 255, 0, 0, 0, 0, 0])))).toEqual([255, 76, 0]);
  });
});
