import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbBoxes } from '../../models/plate-detect.js';
import { normalizePlate, PlateReader, pickPlate, plateFromText } from '../../models/plate-reader.js';
import { ctcDecode, parseDictionary } from '../../models/plate-recognize.js';
import { renderPlate } from '../fixtures/models/plate-images.js';

describe('CTC decode', () => {
  const dict = parseDictionary('京\nA\n1\n');
  it('maps index 0 to blank and the last index to a space', () => {
    expect(dict).toEqual(['', '京', 'A', '1', ' ']);
  });

  it('merges repeats, drops blanks, keeps a repeat split by a blank', () => {
    // steps: 京 京 blank A 1 blank 1
    const best = [1, 1, 0, 2, 3, 0, 3];
    const probs = new Float32Array(best.length * dict.length);
    best.forEach((c, t) => {
      probs.fill(0.05, t * dict.length, (t + 1) * dict.length);
      probs[t * dict.length + c] = 0.8;
    });
    const r = ctcDecode(probs, best.length, dict.length, dict);
    expect(r.text).toBe('京A11');
    expect(r.confidence).toBeCloseTo(0.8, 5);
  });
});

describe('plate text', () => {
  it.each([
    { raw: '京A·12345', want: '京A12345' },
    { raw: '粤b-d8k27', want: '粤BD8K27' },
    { raw: '沪AD 12345', want: '沪AD12345' }, // new-energy plate, 8 characters
    { raw: '京A·1O345', want: '京A10345' }, // civil plates have no O: it is a 0
    { raw: 'AB12C3', want: 'AB12C3' }, // no province: a generic code
    { raw: '停车场', want: undefined },
  ])('$raw → $want', ({ raw, want }) => {
    expect(plateFromText(raw)).toBe(want);
  });

  it('normalizes', () => {
    expect(normalizePlate(' 京a·123 ')).toBe('京A123');
  });

  it('joins a province DB split from the rest of its row', () => {
    const read = pickPlate([
      { text: 'A12345', confidence: 0.9, box: { x: 40, y: 10, w: 100, h: 20, score: 1 } },
      { text: '京', confidence: 0.8, box: { x: 10, y: 12, w: 20, h: 20, score: 1 } },
    ]);
    expect(read.plate).toBe('京A12345');
  });
});

describe('DB postprocess', () => {
  it('finds each text blob, grows it by the unclip distance and scales it to the source', () => {
    const w = 40;
    const h = 20;
    const prob = new Float32Array(w * h);
    for (let y = 5; y < 10; y++) for (let x = 4; x < 24; x++) prob[y * w + x] = 0.9;
    prob[15 * w + 35] = 0.9; // a speck: too small
    const boxes = dbBoxes(prob, w, h, 2, 2);
    expect(boxes).toHaveLength(1);
    // 20×5 kernel: d = 100 × 1.5 / 50 = 3 → x 1..27, y 2..13, then ×2.
    expect(boxes[0]).toMatchObject({ x: 2, y: 4, w: 52, h: 22 });
    expect(boxes[0]!.score).toBeCloseTo(0.9, 5);
  });
});

describe('PlateReader with the PaddleOCR models', () => {
  let reader: PlateReader;
  beforeAll(async () => {
    reader = await PlateReader.open();
  });
  afterAll(async () => {
    await reader?.close();
  });

  it.each([
    { text: '京A12345', font: '"Noto Sans CJK SC"', angle: 0, blur: 0, width: 300 },
    { text: '粤BD8K27', font: '"Noto Serif CJK SC"', angle: 5, blur: 1, width: 260 },
    { text: '川A7Q3M2', font: '"DejaVu Sans Condensed", "Noto Sans CJK SC"', angle: -6, blur: 0, width: 240 },
  ])('reads $text ($font, $angle°, blur $blur)', async (style) => {
    const read = await reader.read(renderPlate(style));
    expect(read.plate).toBe(style.text);
    expect(read.confidence).toBeGreaterThan(0.8);
  });

  it('reads nothing plate-like from an empty scene', async () => {
    const blank = { width: 200, height: 100, data: new Uint8Array(200 * 100 * 3).fill(90) };
    expect((await reader.read(blank)).plate).toBeUndefined();
  });
});
