import { buildModel } from './onnx-builder.js';

/** One fixed detection of the synthetic detector: a box in model-input pixels and its class. */
export interface SyntheticAnchor {
  /** Centre x, centre y, width, height in pixels of the model input. */
  box: readonly [number, number, number, number];
  cls: number;
  /** The score is `weight × mean(input)`, so a brighter frame scores higher. */
  weight: number;
}

export interface SyntheticDetectorSpec {
  layout: 'yolov8' | 'yolox';
  /** Square input side, e.g. 64 or 640. */
  size: number;
  classes: number;
  anchors: readonly SyntheticAnchor[];
}

/**
 * Builds an ONNX detector whose outputs are a deterministic function of its input: constant boxes and
 * scores proportional to the input mean (ReduceMean → Mul → Add). It has the output layout of a real
 * export (YOLOv8 `[N, 4+nc, A]`, YOLOX `[N, A, 5+nc]`) and a dynamic batch, so decoding,
 * letterbox back-projection, NMS and batching are tested on a real onnxruntime session.
 */
export function buildSyntheticDetector(spec: SyntheticDetectorSpec): Uint8Array {
  const a = spec.anchors.length;
  const width = spec.layout === 'yolov8' ? 4 + spec.classes : 5 + spec.classes;
  const bias = new Float32Array(a * width);
  const weight = new Float32Array(a * width);
  // yolov8 is row-major over [row, anchor]; yolox over [anchor, row].
  const at = (row: number, anchor: number) =>
    spec.layout === 'yolov8' ? row * a + anchor : anchor * width + row;
  spec.anchors.forEach((anc, i) => {
    anc.box.forEach((v, r) => {
      bias[at(r, i)] = v;
    });
    if (spec.layout === 'yolov8') {
      weight[at(4 + anc.cls, i)] = anc.weight;
    } else {
      weight[at(4, i)] = anc.weight; // objectness
      bias[at(5 + anc.cls, i)] = 1; // class probability
    }
  });
  const dims = spec.layout === 'yolov8' ? [1, width, a] : [1, a, width];
  return buildModel({
    name: `synthetic-${spec.layout}`,
    inputs: [{ name: 'images', shape: ['batch', 3, spec.size, spec.size] }],
    outputs: [{ name: 'output0', shape: ['batch', dims[1]!, dims[2]!] }],
    initializers: [
      { name: 'shape3', dims: [3], data: [-1, 1, 1], type: 7 },
      { name: 'W', dims, data: weight },
      { name: 'B', dims, data: bias },
    ],
    nodes: [
      { op: 'ReduceMean', inputs: ['images'], outputs: ['m4'], attrs: { axes: [1, 2, 3], keepdims: 1 } },
      { op: 'Reshape', inputs: ['m4', 'shape3'], outputs: ['m3'] },
      { op: 'Mul', inputs: ['m3', 'W'], outputs: ['scaled'] },
      { op: 'Add', inputs: ['scaled', 'B'], outputs: ['output0'] },
    ],
  });
}
