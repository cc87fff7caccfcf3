/** A detection in pixels: x1, y1, x2, y2 (input or source pixels depending on the stage). */
export interface Detection {
  box: [number, number, number, number];
  classId: number;
  score: number;
}

export type OutputLayout = 'yolov8' | 'yolox';

export interface DecodeOptions {
  layout: OutputLayout;
  scoreThreshold: number;
  /** Class ids to keep; all when undefined. */
  keep?: ReadonlySet<number>;
}

/**
 * Decodes one image of a detector output.
 * - YOLOv8/v11 (Ultralytics export): `[N, 4+nc, A]`, rows cx, cy, w, h, then one score per class.
 * - YOLOX (exported with decode_in_inference): `[N, A, 5+nc]`, columns cx, cy, w, h, objectness,
 *   class probabilities; the score is objectness × class probability.
 * `dims` is the full output shape and `image` the batch index.
 */
export function decodeOutput(
  data: Float32Array,
  dims: readonly number[],
  image: number,
  opts: DecodeOptions,
): Detection[] {
  const out: Detection[] = [];
  const keep = opts.keep;
  if (opts.layout === 'yolov8') {
    const rows = dims[1]!;
    const anchors = dims[2]!;
    const nc = rows - 4;
    const base = image * rows * anchors;
    // Class rows are contiguous over anchors: walk them row by row (cache friendly) keeping the
    // best class of each anchor, instead of striding down a column per anchor.
    const bestScore = new Float32Array(anchors).fill(opts.scoreThreshold);
    const bestClass = new Int32Array(anchors).fill(-1);
    for (let c = 0; c < nc; c++) {
      if (keep && !keep.has(c)) continue;
      const row = base + (4 + c) * anchors;
      for (let a = 0; a < anchors; a++) {
        const s = data[row + a]!;
        if (s >= bestScore[a]!) {
          bestScore[a] = s;
          bestClass[a] = c;
        }
      }
    }
    for (let a = 0; a < anchors; a++) {
      const best = bestClass[a]!;
      if (best < 0) continue;
      const cx = data[base + a]!;
      const cy = data[base + anchors + a]!;
      const w = data[base + 2 * anchors + a]!;
      const h = data[base + 3 * anchors + a]!;
      out.push({
        box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
        classId: best,
        score: bestScore[a]!,
      });
    }
    return out;
  }
  const anchors = dims[1]!;
  const cols = dims[2]!;
  const nc = cols - 5;
  const base = image * anchors * cols;
  for (let a = 0; a < anchors; a++) {
    const o = base + a * cols;
    const obj = data[o + 4]!;
    if (obj < opts.scoreThreshold) continue; // a class probability is at most 1
    let best = -1;
    let bestScore = opts.scoreThreshold;
    for (let c = 0; c < nc; c++) {
      if (keep && !keep.has(c)) continue;
      const s = obj * data[o + 5 + c]!;
      if (s >= bestScore) {
        bestScore = s;
        best = c;
      }
    }
    if (best < 0) continue;
    const cx = data[o]!;
    const cy = data[o + 1]!;
    const w = data[o + 2]!;
    const h = data[o + 3]!;
    out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], classId: best, score: bestScore });
  }
  return out;
}

export function iou(a: Detection['box'], b: Detection['box']): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression per class (a person box never suppresses a car box): keeps the best
 * score and drops same-class boxes overlapping it by more than `iouThreshold`.
 */
export function nms(dets: readonly Detection[], iouThreshold: number, maxDetections = 300): Detection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (kept.length >= maxDetections) break;
    if (kept.some((k) => k.classId === d.classId && iou(k.box, d.box) > iouThreshold)) continue;
    kept.push(d);
  }
  return kept;
}
