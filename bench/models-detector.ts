// Detector bench (issue 20): the built-in COCO detectors on Debian opencv-doc's photographs and
// vtest.avi frames. Accuracy against the labelled fixtures, and per-frame latency of three runtimes on
// the same frames in the same run: TF.js WASM (what the models were published for), bare onnxruntime
// on the converted model, and the service's path (letterbox, shared inference pool, decode, NMS).
// `npx tsx bench/models-detector.ts [--iterations 40] [--threads 1]`
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import {
  BUILTIN_DETECTORS,
  type BuiltinDetectorName,
  builtinDetector,
  convertedModelPath,
} from '../models/builtin-detectors.js';
import { letterboxTensor } from '../models/detector-preprocess.js';
import { Detector } from '../models/detector-runner.js';
import { decodeImageFile, type RgbImage } from '../models/image.js';
import { InferencePool } from '../models/inference-pool.js';
import { TfjsReference } from '../models/tfjs-reference.js';
import {
  ACCURACY_HEADER,
  accuracyRow,
  type SampleResult,
  scoreAccuracy,
} from '../test/fixtures/models/detection-score.js';
import { LABELLED_SAMPLES, OPENCV_DATA } from '../test/fixtures/models/opencv-samples.js';
import { summary } from './lib/harness.js';

const { values } = parseArgs({
  options: { iterations: { type: 'string', default: '40' }, threads: { type: 'string', default: '1' } },
});
const N = Number(values.iterations);
const THREADS = Number(values.threads);
const THRESHOLDS = [0.3, 0.4, 0.45, 0.5];
const f2 = (v: number) => v.toFixed(1);

interface LatencyRow {
  model: string;
  /** Letterbox + normalization of the frame in JS (part of the service's path, not of the bare run). */
  prep: number[];
  tfjs: number[];
  bare: number[];
  service: number[];
  convertMs: number;
  onnxBytes: number;
}

async function latency(name: BuiltinDetectorName, frames: RgbImage[], dir: string): Promise<LatencyRow> {
  const spec = builtinDetector(name);
  // A fresh cache directory: this times the one-off conversion a first start pays.
  const t0 = performance.now();
  const file = convertedModelPath(spec, mkdtempSync(join(dir, `${name}-`)));
  const convertMs = performance.now() - t0;
  const s = spec.input.size;
  const dims = spec.input.layout === 'nchw' ? [1, 3, s, s] : [1, s, s, 3];
  const inputs = frames.map((img) => {
    const x = new Float32Array(3 * s * s);
    letterboxTensor(img, spec.input, x, 0);
    return x;
  });
  const bare = await ort.InferenceSession.create(file, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  const tfjs = await TfjsReference.open(spec.source, { threads: THREADS });
  const outputs = spec.outputs ?? bare.outputNames.slice();
  const pool = await InferencePool.open({ threads: THREADS, maxQueue: 4, name: 'bench' });
  const detector = await Detector.open({
    pool,
    model: file,
    layout: spec.layout,
    inputSize: s,
    input: spec.input,
    classes: spec.classes,
    scoreThreshold: spec.scoreThreshold,
    iouThreshold: spec.iouThreshold,
  });
  const row: LatencyRow = {
    model: name,
    prep: [],
    tfjs: [],
    bare: [],
    service: [],
    convertMs,
    onnxBytes: statSync(file).size,
  };
  const scratch = new Float32Array(3 * s * s);
  const inputName = bare.inputNames[0]!;
  const runBare = (x: Float32Array) => bare.run({ [inputName]: new ort.Tensor('float32', x, dims) });
  // Warm-up: the first runs allocate and (WASM) compile.
  for (let i = 0; i < 3; i++) {
    await runBare(inputs[0]!);
    await tfjs.run({ dims, data: inputs[0]! }, outputs);
    await detector.detect(frames[0]!);
  }
  // Interleaved call by call, so a busy moment on the shared machine hits all three alike.
  for (let i = 0; i < N; i++) {
    const k = i % frames.length;
    const r = await tfjs.run({ dims, data: inputs[k]! }, outputs);
    row.tfjs.push(r.ms);
    let t = performance.now();
    await runBare(inputs[k]!);
    row.bare.push(performance.now() - t);
    t = performance.now();
    await detector.detect(frames[k]!);
    row.service.push(performance.now() - t);
    t = performance.now();
    letterboxTensor(frames[k]!, spec.input, scratch, 0);
    row.prep.push(performance.now() - t);
  }
  await tfjs.close();
  await pool.close();
  await bare.release();
  return row;
}

async function accuracy(name: BuiltinDetectorName, images: RgbImage[], dir: string): Promise<string[]> {
  const spec = builtinDetector(name);
  const detector = await Detector.open({
    model: convertedModelPath(spec, dir),
    layout: spec.layout,
    inputSize: spec.input.size,
    input: spec.input,
    classes: spec.classes,
    // Lower than any threshold scored: each row filters its own.
    scoreThreshold: Math.min(...THRESHOLDS),
    iouThreshold: spec.iouThreshold,
    threads: THREADS,
  });
  const results: SampleResult[] = [];
  for (const [i, sample] of LABELLED_SAMPLES.entries())
    results.push({ sample, detections: await detector.detect(images[i]!) });
  await detector.close();
  return THRESHOLDS.map((t) =>
    accuracyRow(`${name}${t === spec.scoreThreshold ? ' (default)' : ''}`, scoreAccuracy(results, t)),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-detector-bench-'));
try {
  const started = new Date().toISOString();
  const load0 = loadavg()[0]!;
  const images: RgbImage[] = [];
  for (const s of LABELLED_SAMPLES) images.push(await decodeImageFile(join(OPENCV_DATA, s.file), 60, s.at));
  const vtest = LABELLED_SAMPLES.flatMap((s, i) => (s.file === 'vtest.avi' ? [images[i]!] : []));
  const rows: LatencyRow[] = [];
  const acc: string[] = [];
  for (const name of BUILTIN_DETECTORS) {
    acc.push(...(await accuracy(name, images, dir)));
    rows.push(await latency(name, vtest, dir));
  }
  const load1 = loadavg()[0]!;
  console.log(
    `\nDetector bench, ${started}, ${N} frames per runtime, intra-op threads ${THREADS}, load average ${load0.toFixed(1)} → ${load1.toFixed(1)}\n`,
  );
  console.log(
    '| model | TF.js WASM p50 / p99 ms | bare onnxruntime p50 / p99 ms | service Detector.detect p50 / p99 ms | of which letterbox p50 ms | service ÷ bare (p50) | TF.js ÷ bare (p50) | converted once in | ONNX size |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const t = summary(r.tfjs);
    const b = summary(r.bare);
    const s = summary(r.service);
    const p = summary(r.prep);
    console.log(
      `| ${r.model} | ${f2(t.p50)} / ${f2(t.p99)} | ${f2(b.p50)} / ${f2(b.p99)} | ${f2(s.p50)} / ${f2(s.p99)} | ${f2(p.p50)} | ${(s.p50 / b.p50).toFixed(2)}× | ${(t.p50 / b.p50).toFixed(2)}× | ${(r.convertMs / 1000).toFixed(1)} s | ${(r.onnxBytes / 1e6).toFixed(1)} MB |`,
    );
  }
  console.log(
    `\nAccuracy on ${LABELLED_SAMPLES.length} labelled samples (test/fixtures/models/opencv-samples.ts):\n`,
  );
  console.log(ACCURACY_HEADER);
  for (const line of acc) console.log(line);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
