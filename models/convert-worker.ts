import { parentPort, workerData } from 'node:worker_threads';
import { type BuiltinDetectorName, builtinDetector, convertedModelPath } from './builtin-detectors.js';

// A worker thread of `convertedModelPathOffThread`: one built-in detector's ONNX file, made or found.
const { name, cacheDir } = workerData as { name: BuiltinDetectorName; cacheDir: string };
parentPort?.postMessage({ file: convertedModelPath(builtinDetector(name), cacheDir) });
