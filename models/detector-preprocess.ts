import type { RgbImage } from './image.js';

/** How a letterboxed input maps back to the source image. */
export interface Letterbox {
  scale: number;
  padX: number;
  padY: number;
  srcWidth: number;
  srcHeight: number;
}

/** Grey of the letterbox border, as in the Ultralytics and YOLOX exports. */
export const PAD_VALUE = 114;

/** What a detector's input tensor looks like: the training pipeline's resize and normalization. */
export interface InputSpec {
  /** Square side. */
  size: number;
  layout: 'nchw' | 'nhwc';
  order: 'rgb' | 'bgr';
  /** Per channel, in the model's channel order: value = (pixel − mean) / std. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Raw pixel value of the border, before normalization. */
  pad: number;
  /**
   * Nearest is what YOLO exports were validated with here; bilinear keeps the small, far-away people
   * of a CCTV frame (a 768-pixel frame shrinks to 416) from aliasing away.
   */
  resample: 'nearest' | 'bilinear';
}

/** Source coordinate and weight of each output column/row for a resize from `src` to `dst` pixels. */
function taps(
  src: number,
  dst: number,
  bilinear: boolean,
): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const s = src / dst;
  for (let x = 0; x < dst; x++) {
    if (!bilinear) {
      i0[x] = i1[x] = Math.min(src - 1, Math.floor((x + 0.5) * s));
      continue;
    }
    const f = Math.max(0, (x + 0.5) * s - 0.5);
    const a = Math.min(src - 1, Math.floor(f));
    i0[x] = a;
    i1[x] = Math.min(src - 1, a + 1);
    w[x] = f - a;
  }
  return { i0, i1, w };
}

/**
 * Resizes keeping the aspect ratio, centres the result in a `size`×`size` square filled with the
 * border value, and writes it normalized into `out` at `offset` (one image of a batch).
 */
export function letterboxTensor(
  img: RgbImage,
  spec: InputSpec,
  out: Float32Array,
  offset: number,
): Letterbox {
  const size = spec.size;
  const scale = Math.min(size / img.width, size / img.height);
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const padX = Math.floor((size - w) / 2);
  const padY = Math.floor((size - h) / 2);
  const plane = size * size;
  const nchw = spec.layout === 'nchw';
  // Channel c of the tensor reads source channel src[c] (RGB frames; BGR models swap).
  const src = spec.order === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const k = spec.std.map((v) => 1 / v);
  for (let c = 0; c < 3; c++) {
    const v = (spec.pad - spec.mean[c]!) * k[c]!;
    if (nchw) out.fill(v, offset + c * plane, offset + (c + 1) * plane);
    else for (let p = 0; p < plane; p++) out[offset + p * 3 + c] = v;
  }
  const bilinear = spec.resample === 'bilinear';
  const cols = taps(img.width, w, bilinear);
  const rows = taps(img.height, h, bilinear);
  const d = img.data;
  const rowBytes = img.width * 3;
  for (let y = 0; y < h; y++) {
    const r0 = rows.i0[y]! * rowBytes;
    const r1 = rows.i1[y]! * rowBytes;
    const wy = rows.w[y]!;
    for (let x = 0; x < w; x++) {
      const c0 = cols.i0[x]! * 3;
      const c1 = cols.i1[x]! * 3;
      const wx = cols.w[x]!;
      const pixel = (y + padY) * size + x + padX;
      for (let c = 0; c < 3; c++) {
        const s = src[c]!;
        const top = d[r0 + c0 + s]! + (d[r0 + c1 + s]! - d[r0 + c0 + s]!) * wx;
        const bottom = d[r1 + c0 + s]! + (d[r1 + c1 + s]! - d[r1 + c0 + s]!) * wx;
        const value = (top + (bottom - top) * wy - spec.mean[c]!) * k[c]!;
        out[offset + (nchw ? c * plane + pixel : pixel * 3 + c)] = value;
      }
    }
  }
  return { scale: w / img.width, padX, padY, srcWidth: img.width, srcHeight: img.height };
}

/**
 * The YOLO letterbox: planar float32 RGB, grey border, nearest neighbour. `normalize` divides by 255
 * (YOLOv8); YOLOX exports take 0..255.
 */
export function letterboxInto(
  img: RgbImage,
  size: number,
  out: Float32Array,
  offset: number,
  normalize: boolean,
): Letterbox {
  const std = normalize ? 255 : 1;
  return letterboxTensor(
    img,
    {
      size,
      layout: 'nchw',
      order: 'rgb',
      mean: [0, 0, 0],
      std: [std, std, std],
      pad: PAD_VALUE,
      resample: 'nearest',
    },
    out,
    offset,
  );
}

/** Maps a box in model-input pixels back to source pixels, clamped to the image. */
export function unletterbox(
  box: readonly [number, number, number, number],
  lb: Letterbox,
): [number, number, number, number] {
  const clampX = (v: number) => Math.min(lb.srcWidth, Math.max(0, v));
  const clampY = (v: number) => Math.min(lb.srcHeight, Math.max(0, v));
  return [
    clampX((box[0] - lb.padX) / lb.scale),
    clampY((box[1] - lb.padY) / lb.scale),
    clampX((box[2] - lb.padX) / lb.scale),
    clampY((box[3] - lb.padY) / lb.scale),
  ];
}
