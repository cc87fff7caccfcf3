import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_DETECTORS, builtinDetector, convertedModelPath } from '../../models/builtin-detectors.js';
import { nms } from '../../models/detector-decode.js';
import { letterboxTensor } from '../../models/detector-preprocess.js';
import { decodeCenternet, decodeNanodet } from '../../models/grid-decode.js';
import { decodeImageFile, type RgbImage } from '../../models/image.js';
import { type FloatTensor, InferencePool } from '../../models/inference-pool.js';
import { buildModel } from '../../models/onnx-builder.js';
import type { TfjsGraph } from '../../models/tfjs-graph.js';
import { TfjsReference } from '../../models/tfjs-reference.js';
import { convertTfjsGraph } from '../../models/tfjs-to-onnx.js';
import { OPENCV_DATA } from '../fixtures/models/opencv-samples.js';

let dir: string;
let pool: InferencePool;
const images: { name: string; img: RgbImage }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sharpeyes-tfjs-onnx-'));
  pool = await InferencePool.open({ name: 'check' });
  for (const [file, at] of [
    ['messi5.jpg', undefined],
    ['vtest.avi', 10],
    ['building.jpg', undefined],
  ] as const) {
    images.push({
      name: at === undefined ? file : `${file}@${at}s`,
      img: await decodeImageFile(join(OPENCV_DATA, file), 30, at),
    });
  }
});
afterAll(async () => {
  await pool?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Largest absolute difference, relative to the largest magnitude of the reference. */
function relativeError(ref: FloatTensor, got: FloatTensor): number {
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < ref.data.length; i++) {
    diff = Math.max(diff, Math.abs(ref.data[i]! - got.data[i]!));
    scale = Math.max(scale, Math.abs(ref.data[i]!));
  }
  return diff / scale;
}

describe.each(BUILTIN_DETECTORS)('%s converted to ONNX against TF.js (WASM) on real photographs', (name) => {
  const spec = builtinDetector(name);
  let tfjs: TfjsReference;
  let outputs: string[];

  beforeAll(async () => {
    const file = convertedModelPath(spec, dir);
    pool.register(name, file);
    outputs = [...(await pool.load(name)).outputNames];
    tfjs = await TfjsReference.open(spec.source);
  });
  afterAll(() => tfjs?.close());

  it('converts once: the same cache file on a second call', () => {
    expect(convertedModelPath(spec, dir)).toBe(convertedModelPath(spec, dir));
  });

  it.each([0, 1, 2])('image %i: every output within 1e-4 of TF.js, the same detections', async (i) => {
    const { img } = images[i]!;
    const s = spec.input.size;
    const x = new Float32Array(3 * s * s);
    letterboxTensor(img, spec.input, x, 0);
    const dims = spec.input.layout === 'nchw' ? [1, 3, s, s] : [1, s, s, 3];
    const ref = await tfjs.run({ dims, data: x }, outputs);
    const { inputNames } = pool.names(name);
    const got = await pool.run(name, { [inputNames[0]!]: { dims, data: x.slice() } });
    for (const o of outputs) {
      expect(got[o]!.dims).toEqual(ref.outputs[o]!.dims);
      expect(relativeError(ref.outputs[o]!, got[o]!)).toBeLessThan(1e-4);
    }
    const decode = (out: Record<string, FloatTensor>) => {
      const opts = { inputSize: s, scoreThreshold: 0.3 };
      const raw =
        spec.layout === 'nanodet'
          ? decodeNanodet(out, 80, opts)
          : decodeCenternet(out['tower_0/keypoints']!, out['tower_0/wh']!, opts);
      return nms(raw, spec.iouThreshold).map((d) => ({ c: d.classId, box: d.box.map(Math.round) }));
    };
    expect(decode(got)).toEqual(decode(ref.outputs));
  });
});

describe('converter', () => {
  /** A TF graph of two nodes: x → op → y. */
  const graph = (op: string, extra: Partial<TfjsGraph> = {}): TfjsGraph => ({
    nodes: [
      { name: 'x', op: 'Placeholder', inputs: [], attrs: {} },
      { name: 'y', op, inputs: ['x'], attrs: {} },
    ],
    consts: new Map(),
    inputs: [{ name: 'x', shape: [1, 4] }],
    outputs: ['y'],
    ...extra,
  });

  it('refuses an op it has no mapping for, by name', () => {
    expect(() => convertTfjsGraph(graph('Atan2'))).toThrow(
      /cannot convert Atan2 \(node y\): no ONNX mapping/,
    );
  });

  it('folds constant subexpressions (onnx-tf reshape shapes) and runs the rest', async () => {
    // y = Reshape(x, [1,2,2] + SparseToDense(no indices, [3], 0)): the shape is computed at conversion.
    const g: TfjsGraph = {
      nodes: [
        { name: 'x', op: 'Placeholder', inputs: [], attrs: {} },
        { name: 'idx', op: 'Const', inputs: [], attrs: {} },
        { name: 'len', op: 'Const', inputs: [], attrs: {} },
        { name: 'vals', op: 'Const', inputs: [], attrs: {} },
        { name: 'zero', op: 'Const', inputs: [], attrs: {} },
        { name: 'base', op: 'Const', inputs: [], attrs: {} },
        { name: 'std', op: 'SparseToDense', inputs: ['idx', 'len', 'vals', 'zero'], attrs: {} },
        { name: 'shape', op: 'AddV2', inputs: ['base', 'std'], attrs: {} },
        { name: 'y', op: 'Reshape', inputs: ['x', 'shape'], attrs: {} },
      ],
      consts: new Map([
        ['idx', { dtype: 'int32', shape: [0, 1], data: new Int32Array(0) }],
        ['len', { dtype: 'int32', shape: [1], data: Int32Array.from([3]) }],
        ['vals', { dtype: 'int32', shape: [0], data: new Int32Array(0) }],
        ['zero', { dtype: 'int32', shape: [], data: Int32Array.from([0]) }],
        ['base', { dtype: 'int32', shape: [3], data: Int32Array.from([1, 2, 2]) }],
      ]),
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: ['y'],
    };
    pool.register('folded', convertTfjsGraph(g));
    const out = await pool.run('folded', { x: { dims: [1, 4], data: Float32Array.from([1, 2, 3, 4]) } });
    expect(out['y']!.dims).toEqual([1, 2, 2]);
    expect([...out['y']!.data]).toEqual([1, 2, 3, 4]);
  });

  it('writes models onnxruntime refuses to load as errors, not crashes', async () => {
    pool.register(
      'broken',
      buildModel({ nodes: [], initializers: [], inputs: [], outputs: [{ name: 'nothing' }] }),
    );
    await expect(pool.load('broken')).rejects.toThrow(/models: cannot load check/);
  });
});
