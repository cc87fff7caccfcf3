import { type RgbImage, resizeRgb } from './image.js';

/** A text box in source pixels, axis aligned: x, y, width, height, and the mean probability. */
export interface TextBox {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
}

export interface DbOptions {
  /** Pixel probability above which a pixel is text (PaddleOCR det_db_thresh). */
  threshold?: number;
  /** Mean probability a box needs (det_db_box_thresh). */
  boxThreshold?: number;
  /** How far a shrunk text kernel is grown back (det_db_unclip_ratio). */
  unclipRatio?: number;
  /** Longest side of the network input (limit_side_len). */
  maxSide?: number;
}

// ImageNet mean/std in BGR order: PaddleOCR reads images with OpenCV (BGR) and normalizes as is.
const MEAN = [0.406, 0.456, 0.485];
const STD = [0.225, 0.224, 0.229];

/** Resizes to multiples of 32 within `maxSide` and writes a normalized BGR NCHW tensor. */
export function detInput(
  img: RgbImage,
  maxSide: number,
): { data: Float32Array; width: number; height: number } {
  const ratio = Math.min(1, maxSide / Math.max(img.width, img.height));
  const width = Math.max(32, Math.round((img.width * ratio) / 32) * 32);
  const height = Math.max(32, Math.round((img.height * ratio) / 32) * 32);
  const small = resizeRgb(img, width, height);
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const rgb = small.data[i * 3 + (2 - c)]!; // channel c of BGR is RGB channel 2-c
      data[c * plane + i] = (rgb / 255 - MEAN[c]!) / STD[c]!;
    }
  }
  return { data, width, height };
}

/**
 * DB postprocess: threshold the probability map, take 4-connected components, score each by its
 * mean probability, and grow its box by the unclip distance `area × ratio / perimeter` (DB trains on
 * kernels shrunk by that much). Boxes are axis aligned: plates at checkpoints are near level, and the
 * recognizer tolerates the tilt that remains.
 */
export function dbBoxes(
  prob: Float32Array,
  width: number,
  height: number,
  scaleX: number,
  scaleY: number,
  opts: DbOptions = {},
): TextBox[] {
  const thr = opts.threshold ?? 0.3;
  const boxThr = opts.boxThreshold ?? 0.6;
  const ratio = opts.unclipRatio ?? 1.5;
  const seen = new Uint8Array(width * height);
  const stack: number[] = [];
  const boxes: TextBox[] = [];
  for (let start = 0; start < prob.length; start++) {
    if (seen[start] || prob[start]! <= thr) continue;
    let minX = width;
    let minY = height;
    let maxX = 0;
    let maxY = 0;
    let sum = 0;
    let n = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % width;
      const y = (i - x) / width;
      sum += prob[i]!;
      n++;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      const near = [
        x > 0 ? i - 1 : -1,
        x < width - 1 ? i + 1 : -1,
        y > 0 ? i - width : -1,
        y < height - 1 ? i + width : -1,
      ];
      for (const j of near) {
        if (j < 0 || seen[j] || prob[j]! <= thr) continue;
        seen[j] = 1;
        stack.push(j);
      }
    }
    const w = maxX - minX + 1;
    const h = maxY - minY + 1;
    if (Math.min(w, h) < 3 || sum / n < boxThr) continue;
    const d = (w * h * ratio) / (2 * (w + h));
    const x0 = Math.max(0, minX - d);
    const y0 = Math.max(0, minY - d);
    const x1 = Math.min(width, maxX + 1 + d);
    const y1 = Math.min(height, maxY + 1 + d);
    boxes.push({
      x: x0 * scaleX,
      y: y0 * scaleY,
      w: (x1 - x0) * scaleX,
      h: (y1 - y0) * scaleY,
      score: sum / n,
    });
  }
  return boxes;
}
