import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { Metrics } from '../metrics.js';
import type { Db } from './sqlite.js';

const WORKER_URL = new URL('./wal-checkpoint-worker.mjs', import.meta.url);

/** SQLite's own threshold: a commit that leaves this many pages in the log copies them back itself. */
export const INLINE_CHECKPOINT_PAGES = 1000;
/**
 * The threshold while the thread runs. Not off: if the thread falls behind or a long report holds
 * the log, the alarm thread still bounds the file (at 40 MB of 4 KiB pages), as SQLite would.
 */
export const FALLBACK_CHECKPOINT_PAGES = 10_000;

/** One pass of the thread, as it posts it. */
type Pass = { busy: number; frames: number; copied: number; ms: number } | { error: string };

export interface WalCheckpointerOptions {
  /** The service's connection (its `wal_autocheckpoint` is raised while the thread runs). */
  db: Db;
  file: string;
  log: Logger;
  metrics?: Metrics;
  /** How often the thread checkpoints; default 1 s. */
  everyMs?: number;
}

/**
 * Copies the write-ahead log back into the database file from a thread of its own (issue 13).
 *
 * By default SQLite does that copy inside the commit that takes the log past 1,000 pages, on the
 * committing thread: every few seconds under load one commit (a panic's decision, or a sink's
 * cursor) wrote some 4 MB and synced the database file, and held the alarm thread 4–7 ms. With this
 * thread a PASSIVE checkpoint runs every second on a second connection; commits never wait for it
 * and it never waits for them. Should the thread fail, the alarm thread checkpoints itself again.
 */
export class WalCheckpointer {
  private worker: Worker | undefined;
  private stopping = false;
  private lastError: string | undefined;
  private readonly passTime;
  private readonly failures;
  private frames = 0;

  constructor(private readonly o: WalCheckpointerOptions) {
    const m = o.metrics ?? new Metrics();
    this.passTime = m.histogram(
      'sharpeyes_sqlite_checkpoint_seconds',
      'Time of one WAL checkpoint pass that found new frames, on its own thread (never inside a commit)',
    );
    this.failures = m.counter(
      'sharpeyes_sqlite_checkpoint_failures_total',
      'WAL checkpoint passes that failed (the alarm thread checkpoints past the fallback threshold)',
    );
    m.gauge(
      'sharpeyes_sqlite_wal_frames',
      'Frames in the SQLite write-ahead log at the last checkpoint',
      [],
      () => this.frames,
    );
  }

  /** Whether the thread runs (false before start, after stop, or after it failed). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  start(): void {
    if (this.worker) return;
    this.stopping = false;
    const w = new Worker(WORKER_URL, {
      workerData: { file: this.o.file, everyMs: this.o.everyMs ?? 1000 },
      name: 'sharpeyes-wal-checkpoint',
    });
    this.worker = w;
    this.o.db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
    w.on('message', (p: Pass) => this.onPass(p));
    w.on('error', (err) => this.o.log.error({ err }, 'store: WAL checkpoint thread failed'));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.inline();
      if (!this.stopping)
        this.o.log.error(
          { code },
          'store: WAL checkpoint thread exited; commits checkpoint the log themselves',
        );
    });
    // The thread's timer must not keep a process alive that forgot to stop it.
    w.unref();
  }

  /** Stops the thread (its connection closes; the service's connection checkpoints as SQLite would). */
  async stop(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage('stop');
    // A pass in progress finishes first (it is one native call); a thread that hangs is ended.
    const timer = setTimeout(() => void w.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }

  private onPass(p: Pass): void {
    if ('error' in p) {
      this.failures.inc();
      if (p.error !== this.lastError) this.o.log.warn({ error: p.error }, 'store: WAL checkpoint failed');
      this.lastError = p.error;
      return;
    }
    this.lastError = undefined;
    this.frames = p.frames;
    this.passTime.observe(p.ms / 1000);
  }

  /** Back to SQLite's own behaviour on the service's connection. */
  private inline(): void {
    if (this.o.db.open) this.o.db.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
  }
}
