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

/**
 * Resizes keeping the aspect ratio, centres the result in a `size`×`size` square padded with grey,
 * and writes it as planar float32 RGB into `out` at `offset` (one image of an NCHW batch).
 * `normalize` divides by 255 (YOLOv8); YOLOX exports take 0..255.
 */
export function letterboxInto(
  img: RgbImage,
  size: number,
  out: Float32Array,
  offset: number,
  normalize: boolean,
): Letterbox {
  const scale = Math.min(size / img.width, size / img.height);
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const padX = Math.floor((size - w) / 2);
  const padY = Math.floor((size - h) / 2);
  const k = normalize ? 1 / 255 : 1;
  const plane = size * size;
  const pad = PAD_VALUE * k;
  out.fill(pad, offset, offset + 3 * plane);
  const sx = img.width / w;
  const sy = img.height / h;
  // Nearest neighbour: detectors are trained on far coarser augmentation than this loses.
  const srcCol = new Int32Array(w);
  for (let x = 0; x < w; x++) srcCol[x] = Math.min(img.width - 1, Math.floor((x + 0.5) * sx)) * 3;
  const src = img.data;
  for (let y = 0; y < h; y++) {
    const srcRow = Math.min(img.height - 1, Math.floor((y + 0.5) * sy)) * img.width * 3;
    const r = offset + (y + padY) * size + padX;
    const g = r + plane;
    const b = g + plane;
    for (let x = 0; x < w; x++) {
      const s = srcRow + srcCol[x]!;
      out[r + x] = src[s]! * k;
      out[g + x] = src[s + 1]! * k;
      out[b + x] = src[s + 2]! * k;
    }
  }
  return { scale: w / img.width, padX, padY, srcWidth: img.width, srcHeight: img.height };
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
