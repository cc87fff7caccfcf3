import { type RgbImage, resizeRgb } from './image.js';

export const REC_HEIGHT = 48;

/**
 * Resizes a text crop to height 48 (keeping its aspect, at least 320 wide as PaddleOCR pads) and
 * writes a BGR NCHW tensor normalized to -1..1; the right side is padded with zeros.
 */
export function recInput(crop: RgbImage): { data: Float32Array; width: number } {
  const w = Math.max(1, Math.min(960, Math.round((crop.width * REC_HEIGHT) / crop.height)));
  const padded = Math.max(320, Math.ceil(w / 8) * 8);
  const small = resizeRgb(crop, w, REC_HEIGHT);
  const plane = padded * REC_HEIGHT;
  const data = new Float32Array(3 * plane);
  for (let y = 0; y < REC_HEIGHT; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const o = y * padded + x;
      for (let c = 0; c < 3; c++) data[c * plane + o] = small.data[s + (2 - c)]! / 127.5 - 1;
    }
  }
  return { data, width: padded };
}

/** Reads the dictionary file: one character a line; index 0 of the model is the CTC blank. */
export function parseDictionary(text: string): string[] {
  const chars = text.split(/\r?\n/);
  if (chars.at(-1) === '') chars.pop();
  return ['', ...chars, ' '];
}

/**
 * Greedy CTC decode of `[T, C]` softmax rows: the best class per step, repeats merged, blanks
 * dropped; the confidence is the mean probability of the characters kept.
 */
export function ctcDecode(
  probs: Float32Array,
  steps: number,
  classes: number,
  dict: readonly string[],
  offset = 0,
): { text: string; confidence: number; charConfidences: number[] } {
  let text = '';
  const confs: number[] = [];
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let bestP = probs[base]!;
    for (let c = 1; c < classes; c++) {
      const p = probs[base + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== prev) {
      text += dict[best] ?? '';
      confs.push(bestP);
    }
    prev = best;
  }
  const confidence = confs.length ? confs.reduce((a, b) => a + b, 0) / confs.length : 0;
  return { text, confidence, charConfidences: confs };
}
