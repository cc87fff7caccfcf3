import { describe, expect, it } from 'vitest';
import { type Detection, decodeOutput, iou, nms } from '../../models/detector-decode.js';
import { letterboxInto, PAD_VALUE, unletterbox } from '../../models/detector-preprocess.js';

const det = (box: Detection['box'], classId: number, score: number): Detection => ({ box, classId, score });

describe('iou', () => {
  it.each([
    { a: [0, 0, 10, 10], b: [0, 0, 10, 10], want: 1 },
    { a: [0, 0, 10, 10], b: [5, 0, 15, 10], want: 50 / 150 },
    { a: [0, 0, 10, 10], b: [20, 20, 30, 30], want: 0 },
  ] as const)('$a vs $b', ({ a, b, want }) => {
    expect(iou([...a], [...b])).toBeCloseTo(want, 6);
  });
});

describe('nms', () => {
  it.each([
    {
      name: 'overlap above the threshold: the lower score goes',
      dets: [det([0, 0, 10, 10], 0, 0.6), det([1, 0, 11, 10], 0, 0.9)],
      want: [0.9],
    },
    {
      name: 'overlap of different classes: both stay',
      dets: [det([0, 0, 10, 10], 0, 0.6), det([1, 0, 11, 10], 1, 0.9)],
      want: [0.9, 0.6],
    },
    {
      name: 'overlap under the threshold: both stay',
      dets: [det([0, 0, 10, 10], 0, 0.6), det([8, 0, 18, 10], 0, 0.9)],
      want: [0.9, 0.6],
    },
  ])('$name', ({ dets, want }) => {
    expect(nms(dets, 0.45).map((d) => d.score)).toEqual(want);
  });
});

describe('decodeOutput', () => {
  // Two anchors, two classes.
  it('reads YOLOv8 [1, 4+nc, A] column-wise', () => {
    // rows: cx, cy, w, h, s0, s1 — anchor 0 then anchor 1 in each row.
    const data = Float32Array.from([10, 50, 10, 50, 4, 8, 4, 8, 0.2, 0.1, 0.7, 0.3]);
    expect(decodeOutput(data, [1, 6, 2], 0, { layout: 'yolov8', scoreThreshold: 0.25 })).toEqual([
      { box: [8, 8, 12, 12], classId: 1, score: expect.closeTo(0.7, 6) },
      { box: [46, 46, 54, 54], classId: 1, score: expect.closeTo(0.3, 6) },
    ]);
  });

  it('reads YOLOX [1, A, 5+nc] row-wise with objectness × class', () => {
    const data = Float32Array.from([10, 10, 4, 4, 0.8, 0.5, 1, 50, 50, 8, 8, 0.2, 1, 0]);
    expect(decodeOutput(data, [1, 2, 7], 0, { layout: 'yolox', scoreThreshold: 0.3 })).toEqual([
      { box: [8, 8, 12, 12], classId: 1, score: expect.closeTo(0.8, 6) },
    ]);
  });

  it('keeps only the classes asked for', () => {
    const data = Float32Array.from([10, 10, 4, 4, 0.8, 0.5, 1]);
    const d = decodeOutput(data, [1, 1, 7], 0, { layout: 'yolox', scoreThreshold: 0.3, keep: new Set([0]) });
    expect(d.map((x) => [x.classId, x.score])).toEqual([[0, expect.closeTo(0.4, 6)]]);
  });

  it('reads the second image of a batch', () => {
    const data = Float32Array.from([0, 0, 0, 0, 0, 0, 7, 7, 2, 2, 0.9, 0]);
    const d = decodeOutput(data, [2, 6, 1], 1, { layout: 'yolov8', scoreThreshold: 0.5 });
    expect(d).toEqual([{ box: [6, 6, 8, 8], classId: 0, score: expect.closeTo(0.9, 6) }]);
  });
});

describe('letterbox', () => {
  it('pads a tall image left and right and maps boxes back', () => {
    const img = { width: 2, height: 4, data: new Uint8Array(2 * 4 * 3).fill(200) };
    const out = new Float32Array(3 * 8 * 8);
    const lb = letterboxInto(img, 8, out, 0, false);
    expect(lb).toMatchObject({ scale: 2, padX: 2, padY: 0 });
    expect(out[0]).toBe(PAD_VALUE); // left border
    expect(out[2]).toBe(200); // first image column
    expect(out[6]).toBe(PAD_VALUE); // right border
    expect(unletterbox([2, 0, 6, 8], lb)).toEqual([0, 0, 2, 4]);
    expect(unletterbox([-5, -5, 100, 100], lb)).toEqual([0, 0, 2, 4]);
  });
});
