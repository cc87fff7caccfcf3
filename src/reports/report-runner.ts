import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import { SharpeyesError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { DB } from '../store/db-types.js';
import { OPS, type OpName, type OpParams, type OpResult } from './report-ops.js';

// Every worker thread starts through the same entry: it lowers the thread first, then loads the module
// through tsx.
const ENTRY = new URL('../../streams/worker-entry.mjs', import.meta.url);
const WORKER = new URL('./report-worker-main.ts', import.meta.url);

export type Lane = 'quick' | 'bulk';

export interface ReportProgress {
  done: number;
  total: number;
  step: string;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress: ((p: ReportProgress) => void) | undefined;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<number, Pending>;
}

export interface RunOptions {
  lane?: Lane;
  onProgress?: (p: ReportProgress) => void;
}

/** Where report queries run: a worker thread (SQLite) or the connection pool (PostgreSQL). */
export interface ReportExecutor {
  run<K extends OpName>(op: K, params: OpParams<K>, opts?: RunOptions): Promise<OpResult<K>>;
  close(): Promise<void>;
}

function reportSeconds(m: Metrics) {
  return m.histogram(
    'sharpeyes_report_seconds',
    'Report queries, by operation (SQLite: on worker threads; PostgreSQL: through the pool)',
    ['op'],
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
}

/**
 * PostgreSQL: the queries go through the pool like any other; the database server does the work, so
 * the event loop only waits on sockets and an alarm is never held up by a report. Each op is the same
 * code the SQLite worker runs.
 */
export class PoolReportRunner implements ReportExecutor {
  private readonly seconds;
  private closed = false;

  constructor(private readonly deps: { k: Kysely<DB>; metrics: Metrics }) {
    this.seconds = reportSeconds(deps.metrics);
  }

  async run<K extends OpName>(op: K, params: OpParams<K>, opts: RunOptions = {}): Promise<OpResult<K>> {
    if (this.closed) throw new SharpeyesError('reports', 'the report runner is stopped');
    const fn = OPS[op] as (k: Kysely<DB>, p: unknown, progress: unknown) => Promise<unknown>;
    const timer = this.seconds.startTimer({ op });
    try {
      const progress = (done: number, total: number, step: string) =>
        opts.onProgress?.({ done, total, step });
      return (await fn(this.deps.k, params, progress)) as OpResult<K>;
    } finally {
      timer();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * SQLite: runs report queries on worker threads with read-only connections (report-worker-main.ts). Two
 * lanes, one thread each: `quick` for what a page waits on (the running month's ratings of a site
 * list), `bulk` for reports over months, so a 400-day report never queues the map's ratings behind
 * it. A worker that dies fails what it held and is started again on the next request.
 */
export class WorkerReportRunner implements ReportExecutor {
  private readonly slots = new Map<Lane, Slot>();
  private nextId = 1;
  private closed = false;
  private readonly seconds;

  constructor(private readonly deps: { file: string; log: Logger; metrics: Metrics }) {
    const m = deps.metrics;
    this.seconds = reportSeconds(m);
    m.gauge('sharpeyes_report_pending', 'Report queries waiting or running on the workers', [], () =>
      [...this.slots.values()].reduce((n, s) => n + s.pending.size, 0),
    );
  }

  run<K extends OpName>(op: K, params: OpParams<K>, opts: RunOptions = {}): Promise<OpResult<K>> {
    if (this.closed) return Promise.reject(new SharpeyesError('reports', 'the report workers are stopped'));
    const slot = this.slot(opts.lane ?? 'bulk');
    const id = this.nextId++;
    const timer = this.seconds.startTimer({ op });
    return new Promise<OpResult<K>>((resolve, reject) => {
      slot.pending.set(id, {
        resolve: (v) => {
          timer();
          resolve(v as OpResult<K>);
        },
        reject: (e) => {
          timer();
          reject(e);
        },
        onProgress: opts.onProgress,
      });
      slot.ready.then(
        () => slot.worker.postMessage({ id, op, params }),
        (err: unknown) => {
          slot.pending.delete(id);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /**
   * Starts both workers now: a worker loads its code in a second or two, which the first site list
   * after a start should not wait for.
   */
  warm(): void {
    if (this.closed) return;
    for (const lane of ['quick', 'bulk'] as const) this.slot(lane);
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = [...this.slots.values()];
    this.slots.clear();
    for (const s of slots) this.fail(s, new SharpeyesError('reports', 'stopped while the report ran'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private slot(lane: Lane): Slot {
    const deps = this.deps;
    const existing = this.slots.get(lane);
    if (existing) return existing;
    const worker = new Worker(ENTRY, {
      // The lowest priority, from the worker's first line (report-worker-main.ts sets it again and
      // tells why if the system refuses).
      workerData: { entry: WORKER.href, nice: 19, file: this.deps.file },
      name: `reports-${lane}`,
    });
    const pending = new Map<number, Pending>();
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new SharpeyesError('reports', `worker exited (${code}) at start`)),
      );
      worker.on('message', (msg: { ready?: boolean; niceError?: string }) => {
        if (!msg.ready) return;
        if (msg.niceError)
          deps.log.warn(
            { lane, reason: msg.niceError },
            'reports: worker runs at normal priority (could not lower it)',
          );
        resolve();
      });
    });
    // An unhandled rejection here would crash the service: the failure reaches each caller instead.
    ready.catch(() => undefined);
    const slot: Slot = { worker, ready, pending };
    worker.on('message', (msg: Message) => {
      if (!('id' in msg)) return;
      const p = pending.get(msg.id);
      if (!p) return;
      if ('progress' in msg) return p.onProgress?.(msg.progress);
      pending.delete(msg.id);
      if ('error' in msg) p.reject(new SharpeyesError('reports', msg.error));
      else p.resolve(msg.result);
    });
    worker.on('error', (err) => {
      this.deps.log.error({ err, lane }, 'reports: worker failed; its reports fail and it restarts');
      this.drop(lane, slot, err);
    });
    worker.on('exit', (code) => {
      if (!this.closed) this.deps.log.warn({ code, lane }, 'reports: worker exited');
      this.drop(lane, slot, new SharpeyesError('reports', `worker exited (${code})`));
    });
    this.slots.set(lane, slot);
    return slot;
  }

  private drop(lane: Lane, slot: Slot, err: Error): void {
    if (this.slots.get(lane) === slot) this.slots.delete(lane);
    this.fail(slot, err);
  }

  private fail(slot: Slot, err: Error): void {
    for (const p of slot.pending.values()) p.reject(err);
    slot.pending.clear();
  }
}

type Message =
  | { id: number; progress: ReportProgress }
  | { id: number; result: unknown }
  | { id: number; error: string };
