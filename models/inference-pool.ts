import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ModelError } from './model-error.js';

/** A float32 tensor crossing the worker boundary (its buffer is transferred, not copied). */
export interface FloatTensor {
  dims: readonly number[];
  data: Float32Array;
}

export type ModelSource = string | Uint8Array;

export interface InferencePoolOptions {
  /** Worker threads; each holds one onnxruntime session per model it has run. */
  workers?: number;
  /** onnxruntime intra-op threads per session. */
  threads?: number;
  /**
   * Jobs that may wait for a worker; one more is refused at once (`queue_full`), so a burst of alarms
   * costs frames, never memory and minutes of backlog.
   */
  maxQueue?: number;
  /** Short name for errors. */
  name?: string;
  /**
   * How far below the thread that opens the pool its workers run (Linux; 0: level with it). Each
   * worker lowers itself first thing, before onnxruntime loads, so the inference threads onnxruntime
   * starts inside it are as low from their first instant (a thread takes its creator's priority).
   */
  nice?: number;
}

export interface PoolStats {
  workers: number;
  queued: number;
  running: number;
  completed: number;
  rejected: number;
}

interface Job {
  id: number;
  model: string;
  feeds: Record<string, FloatTensor>;
  resolve(out: Record<string, FloatTensor>): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Job>;
  dead: boolean;
}

interface Io {
  inputNames: readonly string[];
  outputNames: readonly string[];
}

const ORT_PATH = createRequire(import.meta.url).resolve('onnxruntime-node');
// Every worker thread starts through the same entry: it lowers the thread first, then loads the module.
const WORKER_ENTRY = new URL('../streams/worker-entry.mjs', import.meta.url);
const WORKER_URL = new URL('./inference-worker.cjs', import.meta.url);
/** A second job sent ahead hides the message hop; more would only hide the backlog from the bound. */
const PER_WORKER = 2;

/**
 * The one inference pool of the service: the object detector and the plate reader's two models run
 * in the same worker threads, fed from one bounded FIFO queue.
 *
 * onnxruntime-node's `session.run` executes on the calling thread inside a setImmediate, blocking the
 * event loop for the whole inference; panels must be acknowledged within milliseconds, so inference
 * never runs on the main thread. Inputs and outputs move by transferring their ArrayBuffers.
 */
export class InferencePool {
  readonly name: string;
  readonly maxQueue: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly sources = new Map<string, ModelSource>();
  private readonly loads = new Map<string, Promise<Io>>();
  private readonly io = new Map<string, Io>();
  private readonly loadWaiters = new Map<number, { resolve(io: Io): void; reject(e: Error): void }>();
  private nextId = 1;
  private closed = false;
  private completed = 0;
  private rejected = 0;
  /** Called after every change of the queue (metrics). */
  onChange: ((s: PoolStats) => void) | undefined;

  private constructor(
    private readonly opts: Required<Omit<InferencePoolOptions, 'name'>>,
    name: string,
  ) {
    this.name = name;
    this.maxQueue = opts.maxQueue;
  }

  static async open(opts: InferencePoolOptions = {}): Promise<InferencePool> {
    const pool = new InferencePool(
      {
        workers: Math.max(1, opts.workers ?? 1),
        threads: Math.max(1, opts.threads ?? 1),
        maxQueue: Math.max(0, opts.maxQueue ?? 32),
        nice: Math.max(0, opts.nice ?? 0),
      },
      opts.name ?? 'inference',
    );
    try {
      for (let i = 0; i < pool.opts.workers; i++) pool.slots.push(await pool.spawn());
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private spawn(): Promise<Slot> {
    const worker = new Worker(WORKER_ENTRY, {
      workerData: {
        entry: WORKER_URL.href,
        ortPath: ORT_PATH,
        threads: this.opts.threads,
        nice: this.opts.nice,
      },
    });
    const slot: Slot = { worker, inFlight: new Map(), dead: false };
    return new Promise((resolve, reject) => {
      worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'ready') resolve(slot);
        else this.settle(slot, msg);
      });
      worker.on('error', (err) => {
        reject(new ModelError(`worker of ${this.name} failed`, {}, { cause: err }));
        this.bury(slot, err);
      });
      worker.on('exit', () => this.bury(slot, new Error('worker exited')));
    });
  }

  /** Names a model the pool may run; its session is created on `load` or on its first job. */
  register(model: string, source: ModelSource): void {
    if (this.sources.has(model)) return;
    this.sources.set(model, typeof source === 'string' ? source : source.slice());
  }

  /** Creates the model's session in every worker; rejects with onnxruntime's reason if it cannot. */
  load(model: string): Promise<Io> {
    const known = this.loads.get(model);
    if (known) return known;
    const source = this.sources.get(model);
    if (source === undefined) return Promise.reject(new ModelError(`${this.name}: unknown model ${model}`));
    const p = Promise.all(
      this.live().map(
        (slot) =>
          new Promise<Io>((resolve, reject) => {
            const id = this.nextId++;
            this.loadWaiters.set(id, { resolve, reject });
            const copy = typeof source === 'string' ? source : source.slice();
            slot.worker.postMessage({ type: 'load', id, model, source: copy });
          }),
      ),
    ).then((ios) => {
      const io = ios[0];
      if (!io) throw new ModelError(`${this.name}: every worker has exited`);
      this.io.set(model, io);
      return io;
    });
    this.loads.set(model, p);
    // A failed load may be retried (e.g. after the file is fixed), so it is not cached.
    p.catch(() => this.loads.delete(model));
    return p;
  }

  /** Input and output names of a loaded model. */
  names(model: string): Io {
    const io = this.io.get(model);
    if (!io) throw new ModelError(`${this.name}: model ${model} is not loaded`);
    return io;
  }

  /** How many more jobs the queue takes now. */
  headroom(): number {
    const idle = this.live().reduce((n, s) => n + Math.max(0, PER_WORKER - s.inFlight.size), 0);
    return Math.max(0, this.maxQueue - this.queue.length) + idle;
  }

  stats(): PoolStats {
    return {
      workers: this.live().length,
      queued: this.queue.length,
      running: this.live().reduce((n, s) => n + s.inFlight.size, 0),
      completed: this.completed,
      rejected: this.rejected,
    };
  }

  /**
   * Runs a model on the next free worker. The input buffers are transferred: do not reuse them.
   * Rejects at once with `code: 'queue_full'` when the queue is at its bound.
   */
  async run(model: string, feeds: Record<string, FloatTensor>): Promise<Record<string, FloatTensor>> {
    if (this.closed) throw new ModelError(`${this.name} is closed`);
    if (this.live().length === 0) throw new ModelError(`${this.name}: every worker has exited`);
    if (this.headroom() <= 0) {
      this.rejected++;
      this.onChange?.(this.stats());
      throw new ModelError(`${this.name}: queue full (${this.maxQueue} waiting)`, {
        code: 'queue_full',
        model,
      });
    }
    if (!this.io.has(model)) await this.load(model);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, model, feeds, resolve, reject });
      this.pump();
    });
  }

  private live(): Slot[] {
    return this.slots.filter((s) => !s.dead);
  }

  private pump(): void {
    for (;;) {
      const job = this.queue[0];
      if (!job) break;
      const slot = this.live()
        .filter((s) => s.inFlight.size < PER_WORKER)
        .sort((a, b) => a.inFlight.size - b.inFlight.size)[0];
      if (!slot) break;
      this.queue.shift();
      const wire: Record<string, { type: 'float32'; dims: readonly number[]; data: ArrayBuffer }> = {};
      const transfer: ArrayBuffer[] = [];
      for (const [name, t] of Object.entries(job.feeds)) {
        const whole = t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength;
        const buf = (whole ? t.data.buffer : t.data.slice().buffer) as ArrayBuffer;
        wire[name] = { type: 'float32', dims: t.dims, data: buf };
        transfer.push(buf);
      }
      slot.inFlight.set(job.id, job);
      slot.worker.postMessage({ type: 'run', id: job.id, model: job.model, feeds: wire }, transfer);
    }
    this.onChange?.(this.stats());
  }

  private settle(slot: Slot, msg: ResultMessage | ErrorMessage | LoadedMessage): void {
    const waiter = this.loadWaiters.get(msg.id);
    if (waiter) {
      this.loadWaiters.delete(msg.id);
      if (msg.type === 'loaded') waiter.resolve({ inputNames: msg.inputNames, outputNames: msg.outputNames });
      else if (msg.type === 'error')
        waiter.reject(new ModelError(`cannot load ${this.name}: ${msg.message}`));
      return;
    }
    const job = slot.inFlight.get(msg.id);
    if (!job) return;
    slot.inFlight.delete(msg.id);
    this.completed++;
    if (msg.type === 'error') job.reject(new ModelError(`${job.model} inference failed: ${msg.message}`));
    else if (msg.type === 'result') {
      const out: Record<string, FloatTensor> = {};
      for (const [name, t] of Object.entries(msg.outputs)) {
        out[name] = { dims: t.dims, data: new Float32Array(t.data, t.offset, t.length) };
      }
      job.resolve(out);
    }
    this.pump();
  }

  /** A worker is gone: its jobs fail now, queued jobs go to the others (or fail if none is left). */
  private bury(slot: Slot, err: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    for (const job of slot.inFlight.values())
      job.reject(new ModelError(`${this.name}: ${err.message}`, { model: job.model }, { cause: err }));
    slot.inFlight.clear();
    for (const [id, w] of this.loadWaiters) {
      w.reject(new ModelError(`${this.name}: ${err.message}`, {}, { cause: err }));
      this.loadWaiters.delete(id);
    }
    if (this.live().length === 0) {
      for (const job of this.queue.splice(0))
        job.reject(new ModelError(`${this.name}: every worker has exited`, { model: job.model }));
    } else this.pump();
  }

  /**
   * Queued jobs fail at once; what the workers have started in onnxruntime (a session being created,
   * a run) finishes first, and then each worker ends on its own. Terminating a worker in the middle of
   * onnxruntime's work aborts the whole process, so only a worker still busy after `CLOSE_WAIT_MS` is.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new ModelError(`${this.name} is closed`));
    await Promise.all(this.slots.splice(0).map((s) => retire(s)));
  }
}

/** How long a closing pool waits for a worker's onnxruntime work (a session's creation is the longest). */
const CLOSE_WAIT_MS = 30_000;

async function retire(slot: Slot): Promise<void> {
  if (slot.dead) {
    await slot.worker.terminate();
    return;
  }
  const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
  slot.worker.postMessage({ type: 'close' });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), CLOSE_WAIT_MS);
  });
  if ((await Promise.race([exited, late])) === 'late') await slot.worker.terminate();
  clearTimeout(timer);
}

type WorkerMessage = { type: 'ready' } | LoadedMessage | ResultMessage | ErrorMessage;
interface LoadedMessage {
  type: 'loaded';
  id: number;
  model: string;
  inputNames: string[];
  outputNames: string[];
}
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
