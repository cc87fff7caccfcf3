import type { Detection } from './detector-decode.js';
import type { FloatTensor } from './inference-pool.js';

export interface GridDecodeOptions {
  /** Square model input side; strides follow from the grid sizes. */
  inputSize: number;
  scoreThreshold: number;
  /** Class ids to keep; all when undefined. */
  keep?: ReadonlySet<number>;
}

interface Level {
  cls: Float32Array;
  reg: Float32Array;
  cells: number;
  side: number;
  stride: number;
}

/**
 * Pairs each level's class map `[1, cells, nc]` with its box distribution `[1, cells, 4·(regMax+1)]`
 * by cell count (the export names them Identity…Identity_5 in no useful order).
 */
function levels(outputs: Record<string, FloatTensor>, nc: number, inputSize: number): Level[] {
  const byCells = new Map<number, { cls?: Float32Array; reg?: Float32Array }>();
  for (const t of Object.values(outputs)) {
    const cells = t.dims[1]!;
    const entry = byCells.get(cells) ?? {};
    if (t.dims[2] === nc) entry.cls = t.data;
    else entry.reg = t.data;
    byCells.set(cells, entry);
  }
  const out: Level[] = [];
  for (const [cells, e] of byCells) {
    if (!e.cls || !e.reg) continue;
    const side = Math.round(Math.sqrt(cells));
    out.push({ cls: e.cls, reg: e.reg, cells, side, stride: inputSize / side });
  }
  return out.sort((a, b) => a.stride - b.stride);
}

/**
 * Decodes NanoDet (legacy GFL head) outputs: per level a sigmoid class map and, per side of the box,
 * a discrete distribution over 0..regMax in units of the stride. The distance is its expectation
 * (softmax, then Σ i·pᵢ, as NanoDet's `Integral` layer), measured from the cell centre
 * `(col + 0.5, row + 0.5) × stride`. Boxes come out in model-input pixels.
 */
export function decodeNanodet(
  outputs: Record<string, FloatTensor>,
  classes: number,
  opts: GridDecodeOptions,
): Detection[] {
  const out: Detection[] = [];
  const dist = new Float64Array(64);
  for (const lv of levels(outputs, classes, opts.inputSize)) {
    const bins = lv.reg.length / lv.cells / 4;
    for (let i = 0; i < lv.cells; i++) {
      let best = -1;
      let bestScore = opts.scoreThreshold;
      const row = i * classes;
      for (let c = 0; c < classes; c++) {
        if (opts.keep && !opts.keep.has(c)) continue;
        const s = lv.cls[row + c]!;
        if (s >= bestScore) {
          bestScore = s;
          best = c;
        }
      }
      if (best < 0) continue;
      const d = [0, 0, 0, 0];
      for (let side = 0; side < 4; side++) {
        const base = (i * 4 + side) * bins;
        let max = Number.NEGATIVE_INFINITY;
        for (let b = 0; b < bins; b++) max = Math.max(max, lv.reg[base + b]!);
        let sum = 0;
        for (let b = 0; b < bins; b++) {
          dist[b] = Math.exp(lv.reg[base + b]! - max);
          sum += dist[b]!;
        }
        let e = 0;
        for (let b = 0; b < bins; b++) e += (b * dist[b]!) / sum;
        d[side] = e * lv.stride;
      }
      const cx = ((i % lv.side) + 0.5) * lv.stride;
      const cy = (Math.floor(i / lv.side) + 0.5) * lv.stride;
      out.push({ box: [cx - d[0]!, cy - d[1]!, cx + d[2]!, cy + d[3]!], classId: best, score: bestScore });
    }
  }
  return out;
}

/**
 * Decodes CenterNet outputs (`keypoints` `[1, H, W, nc]` sigmoid heatmap, `wh` `[1, H, W, 4]`
 * distances in input pixels to the four sides): a peak is a cell that is the maximum of its 3×3
 * neighbourhood in its class (CenterNet's max-pool NMS), its centre `(col, row) × stride`.
 */
export function decodeCenternet(
  heat: FloatTensor,
  wh: FloatTensor,
  opts: GridDecodeOptions & { maxDetections?: number },
): Detection[] {
  const [, h, w, nc] = heat.dims as [number, number, number, number];
  const stride = opts.inputSize / w;
  const data = heat.data;
  const out: Detection[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const cell = (y * w + x) * nc;
      for (let c = 0; c < nc; c++) {
        if (opts.keep && !opts.keep.has(c)) continue;
        const s = data[cell + c]!;
        if (s < opts.scoreThreshold) continue;
        let peak = true;
        for (let dy = -1; dy <= 1 && peak; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if ((dx === 0 && dy === 0) || yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            if (data[(yy * w + xx) * nc + c]! > s) {
              peak = false;
              break;
            }
          }
        if (!peak) continue;
        const o = (y * w + x) * 4;
        const cx = x * stride;
        const cy = y * stride;
        out.push({
          box: [cx - wh.data[o]!, cy - wh.data[o + 1]!, cx + wh.data[o + 2]!, cy + wh.data[o + 3]!],
          classId: c,
          score: s,
        });
      }
    }
  out.sort((a, b) => b.score - a.score);
  return out.slice(0, opts.maxDetections ?? 100);
}
