/** A rectangle in fractions of the frame (0..1), so a mask survives a change of analysis size. */
export interface MaskRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface MotionOptions {
  width: number;
  height: number;
  /** 1..100: higher reports smaller and fainter changes. */
  sensitivity?: number;
  /** Areas ignored (a road, a tree, a clock overlay). */
  mask?: readonly MaskRect[];
  /** Frames of motion in a row before it counts (filters single-frame noise). */
  minFrames?: number;
}

export interface MotionResult {
  /** Fraction (0..1) of unmasked pixels that changed. */
  score: number;
  motion: boolean;
  /** Bounding box of the changed pixels in fractions of the frame, when any. */
  region?: MaskRect;
}

/**
 * Grey frame differencing on small frames (e.g. 160×90 at 2–5 fps): a pixel changed when it differs
 * from a slowly adapting background by more than a threshold; the frame has motion when the changed
 * fraction passes an area threshold. Both thresholds come from one sensitivity knob. It costs one pass
 * over 14,400 bytes a frame, so every camera of a small node can run it.
 */
export class MotionDetector {
  private background: Int32Array | undefined;
  private readonly masked: Uint8Array;
  private readonly active: number;
  private readonly pixelThreshold: number;
  private readonly areaThreshold: number;
  private readonly minFrames: number;
  private streak = 0;

  constructor(readonly opts: MotionOptions) {
    const { width, height } = opts;
    this.masked = new Uint8Array(width * height);
    for (const r of opts.mask ?? []) {
      const x0 = Math.max(0, Math.floor(r.x * width));
      const y0 = Math.max(0, Math.floor(r.y * height));
      const x1 = Math.min(width, Math.ceil((r.x + r.w) * width));
      const y1 = Math.min(height, Math.ceil((r.y + r.h) * height));
      for (let y = y0; y < y1; y++) this.masked.fill(1, y * width + x0, y * width + x1);
    }
    this.active = this.masked.reduce((n, m) => n + (m ? 0 : 1), 0);
    const s = Math.min(100, Math.max(1, opts.sensitivity ?? 50)) / 100;
    // sensitivity 1 → 60 grey levels and 10 % of the frame; 50 → 34 levels and 0.7 % (a person at
    // 20 m on a 160×90 frame); 100 → 8 levels and 0.05 %. The area scales geometrically.
    this.pixelThreshold = 60 - 52 * s;
    this.areaThreshold = 0.1 * 0.005 ** s;
    this.minFrames = Math.max(1, opts.minFrames ?? 1);
  }

  /** Feeds one grey frame (width × height bytes) and reports whether it moved. */
  push(frame: Uint8Array): MotionResult {
    const { width, height } = this.opts;
    if (frame.length !== width * height) throw new RangeError(`motion: frame of ${frame.length} bytes`);
    const bg = this.background;
    if (!bg) {
      this.background = Int32Array.from(frame, (v) => v << 4);
      return { score: 0, motion: false };
    }
    let changed = 0;
    let minX = width;
    let minY = height;
    let maxX = -1;
    let maxY = -1;
    // Background in 1/16 grey levels (integer maths keeps this loop at a few µs per 160×90 frame).
    const t = this.pixelThreshold * 16;
    const masked = this.masked;
    for (let y = 0, i = 0; y < height; y++) {
      for (let x = 0; x < width; x++, i++) {
        const d = (frame[i]! << 4) - bg[i]!;
        // Adapt by 1/8 a frame: lighting drift is absorbed, a walking person is not.
        bg[i]! += d >> 3;
        if (masked[i] || (d < 0 ? -d : d) <= t) continue;
        changed++;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
    const score = this.active > 0 ? changed / this.active : 0;
    this.streak = score >= this.areaThreshold ? this.streak + 1 : 0;
    const result: MotionResult = { score, motion: this.streak >= this.minFrames };
    if (changed > 0)
      result.region = {
        x: minX / width,
        y: minY / height,
        w: (maxX - minX + 1) / width,
        h: (maxY - minY + 1) / height,
      };
    return result;
  }

  reset(): void {
    this.background = undefined;
    this.streak = 0;
  }
}

/** Luma (BT.601) of an RGB image, for feeding the motion detector from colour frames. */
export function rgbToGray(rgb: Uint8Array, out = new Uint8Array(rgb.length / 3)): Uint8Array {
  for (let i = 0, j = 0; i < out.length; i++, j += 3) {
    out[i] = (rgb[j]! * 77 + rgb[j + 1]! * 150 + rgb[j + 2]! * 29) >> 8;
  }
  return out;
}
