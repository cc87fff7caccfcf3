import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ModelError } from './model-error.js';

/** A float32 tensor crossing the worker boundary (its buffer is transferred, not copied). */
export interface FloatTensor {
  dims: readonly number[];
  data: Float32Array;
}

export interface OnnxPoolOptions {
  /** Model file path or the model bytes. */
  model: string | Uint8Array;
  /** Worker threads, each with its own session: parallel requests. */
  workers?: number;
  /** onnxruntime intra-op threads per session. */
  threads?: number;
  /** Short name for errors. */
  name?: string;
}

interface Pending {
  resolve(out: Record<string, FloatTensor>): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  busy: number;
  dead: boolean;
}

const ORT_PATH = createRequire(import.meta.url).resolve('onnxruntime-node');
const WORKER_URL = new URL('./onnx-worker.cjs', import.meta.url);

/**
 * onnxruntime-node's `session.run` executes on the calling thread inside a setImmediate: it blocks the
 * event loop for the whole inference. Panels must be acknowledged within milliseconds, so inference runs
 * in worker threads, each owning one session with `threads` intra-op threads. Inputs and outputs move
 * by transferring their ArrayBuffers, so the only extra cost over a bare run is two message hops.
 */
export class OnnxPool {
  readonly name: string;
  inputNames: readonly string[] = [];
  outputNames: readonly string[] = [];
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending & { slot: Slot }>();
  private nextId = 1;
  private closed = false;

  private constructor(name: string) {
    this.name = name;
  }

  static async open(opts: OnnxPoolOptions): Promise<OnnxPool> {
    const pool = new OnnxPool(opts.name ?? (typeof opts.model === 'string' ? opts.model : 'model'));
    const n = Math.max(1, opts.workers ?? 1);
    try {
      for (let i = 0; i < n; i++) pool.slots.push(await pool.spawn(opts));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private spawn(opts: OnnxPoolOptions): Promise<Slot> {
    const model = typeof opts.model === 'string' ? opts.model : opts.model.slice();
    const worker = new Worker(WORKER_URL, {
      workerData: { ortPath: ORT_PATH, model, threads: Math.max(1, opts.threads ?? 1) },
    });
    const slot: Slot = { worker, busy: 0, dead: false };
    return new Promise((resolve, reject) => {
      worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'ready') {
          this.inputNames = msg.inputNames;
          this.outputNames = msg.outputNames;
          resolve(slot);
        } else if (msg.type === 'fatal') {
          reject(new ModelError(`cannot load ${this.name}: ${msg.message}`));
        } else {
          this.settle(msg);
        }
      });
      worker.on('error', (err) => {
        reject(new ModelError(`worker of ${this.name} failed`, {}, { cause: err }));
        this.failAll(slot, err);
      });
      worker.on('exit', () => {
        slot.dead = true;
        this.failAll(slot, new Error('worker exited'));
      });
    });
  }

  /** Runs the model on the least busy worker. The input buffers are transferred: do not reuse them. */
  run(feeds: Record<string, FloatTensor>): Promise<Record<string, FloatTensor>> {
    if (this.closed) return Promise.reject(new ModelError(`${this.name} is closed`));
    const live = this.slots.filter((s) => !s.dead);
    if (live.length === 0) return Promise.reject(new ModelError(`${this.name}: every worker has exited`));
    const slot = live.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    const wire: Record<string, { type: 'float32'; dims: readonly number[]; data: ArrayBuffer }> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(feeds)) {
      const whole = t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength;
      const buf = (whole ? t.data.buffer : t.data.slice().buffer) as ArrayBuffer;
      wire[name] = { type: 'float32', dims: t.dims, data: buf };
      transfer.push(buf);
    }
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, feeds: wire }, transfer);
    });
  }

  private settle(msg: ResultMessage | ErrorMessage): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    p.slot.busy--;
    if (msg.type === 'error') {
      p.reject(new ModelError(`${this.name} inference failed: ${msg.message}`));
      return;
    }
    const out: Record<string, FloatTensor> = {};
    for (const [name, t] of Object.entries(msg.outputs)) {
      out[name] = { dims: t.dims, data: new Float32Array(t.data, t.offset, t.length) };
    }
    p.resolve(out);
  }

  private failAll(slot: Slot, err: Error): void {
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue;
      this.pending.delete(id);
      p.reject(new ModelError(`${this.name}: ${err.message}`, {}, { cause: err }));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}

type WorkerMessage =
  | { type: 'ready'; inputNames: string[]; outputNames: string[] }
  | { type: 'fatal'; message: string }
  | ResultMessage
  | ErrorMessage;
interface ResultMessage {
  type: 'result';
  id: number;
  outputs: Record<string, { dims: number[]; data: ArrayBuffer; offset: number; length: number }>;
}
interface ErrorMessage {
  type: 'error';
  id: number;
  message: string;
}
