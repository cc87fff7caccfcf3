import { isMainThread, Worker } from 'node:worker_threads';
import { HELPER_NICE } from '../src/util/helper-threads.js';
import type { WriterBatch, WriterReplies, WriterReply, WriterRequest } from './segment-writer-protocol.js';

export interface WriterLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** How a segment file ended: its final path, size, and the wall clock its last written fragment reaches. */
export interface ClosedFile {
  file: string;
  bytes: number;
  endMs: number;
  /** Set when a write failed: the file keeps what was written before. */
  error?: { message: string; code: string };
}

/**
 * What the recorder needs of a segment writer: the writer thread below, or (in a benchmark's
 * "before" column) plain synchronous writes on the event loop.
 */
export interface SegmentFiles {
  onWritten: ((id: number, endMs: number) => void) | undefined;
  open(file: string, init: Buffer): number;
  append(id: number, data: Buffer, endMs: number): boolean;
  failed(id: number): { message: string; code: string } | undefined;
  written(id: number): { endMs: number; bytes: number } | undefined;
  close(id: number, renameTo?: string): Promise<ClosedFile>;
}

interface Handle {
  file: string;
  /** Bytes posted to the thread and not yet acknowledged. */
  queued: number;
  written: { endMs: number; bytes: number };
  failed?: { message: string; code: string };
  closing?: (c: ClosedFile) => void;
}

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);
const WORKER = new URL(
  `./segment-writer-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);

/**
 * The recorder's side of the segment writer thread (segment-writer-worker.ts). The event loop only
 * copies a fragment (once, with its decode time rebased) and queues it; opening, writing, fdatasync and
 * closing happen on the thread. One thread serves every camera: the work is a memcpy and a write per
 * fragment, and one queue keeps a segment's writes and its close in order.
 *
 * Requests leave in batches, one postMessage every `batchMs` (and at once past `batchBytes`), and the
 * thread answers each batch with one message. A message costs the event loop a structured clone and
 * a dispatch whatever it carries: 32 cameras' 200 ms fragments were 160 messages a second each way.
 * Footage reaches the disk at most `batchMs` later, which nothing waits on: clips wait for `written`,
 * which comes when it is there.
 */
export class SegmentWriter implements SegmentFiles {
  private worker: Worker | undefined;
  private readonly handles = new Map<number, Handle>();
  private nextId = 1;
  private queuedBytes = 0;
  private stopped = false;
  /** Requests not yet posted, with the buffers they transfer. */
  private batch: WriterBatch = [];
  private transfers: ArrayBuffer[] = [];
  private batchedBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private posted = 0;
  /** Called after each acknowledged write (the recorder releases clips waiting for footage). */
  onWritten: ((id: number, endMs: number) => void) | undefined;

  constructor(
    private readonly o: {
      log: WriterLog;
      /** fdatasync each segment at its close (default true). */
      sync?: boolean;
      /** Appends are refused while this many bytes wait for the thread (a disk that cannot keep up). */
      maxQueuedBytes?: number;
      /** Requests wait at most this long to go to the thread together (default 50; 0 posts each at once). */
      batchMs?: number;
      /** A batch holding this many bytes leaves at once (default 1 MiB). */
      batchBytes?: number;
    },
  ) {}

  /**
   * Starts the thread now instead of at the first write, so it exists when the service lowers its
   * helper threads after starting (a camera's first segment would otherwise start it at the alarm
   * thread's priority, up to the next pass 10 s later, were it not lowering itself).
   */
  start(): void {
    if (!this.stopped) this.thread();
  }

  /** Bytes handed to the thread and not yet written. */
  get backlog(): number {
    return this.queuedBytes;
  }

  /** Messages posted to the thread so far (each batch is one). */
  get messages(): number {
    return this.posted;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(ENTRY, {
      // Below the alarm thread when the service's main thread starts it (not a test's worker thread).
      workerData: { entry: WORKER.href, nice: isMainThread ? HELPER_NICE : 0 },
      name: 'sharpeyes-segment-writer',
    });
    w.on('message', (replies: WriterReplies) => {
      for (const m of replies) this.onReply(m);
    });
    w.on('error', (err) => this.o.log.error({ err }, 'recorder: segment writer thread failed'));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.queuedBytes = 0;
      // Whatever waits to be posted belongs to the handles failed below.
      this.dropBatch();
      // Every open file is lost to this thread: the recorder closes them and starts new segments.
      for (const [id, h] of this.handles) {
        h.failed ??= { message: `segment writer thread exited (${code})`, code: 'EWORKER' };
        this.finish(id, h);
      }
      if (!this.stopped) this.o.log.error({ code }, 'recorder: segment writer thread exited; restarting it');
    });
    this.worker = w;
    return w;
  }

  private post(m: WriterRequest, bytes: number, transfer?: ArrayBuffer): void {
    this.batch.push(m);
    if (transfer) this.transfers.push(transfer);
    this.batchedBytes += bytes;
    const wait = this.o.batchMs ?? 50;
    if (wait <= 0 || this.batchedBytes >= (this.o.batchBytes ?? 1024 * 1024)) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), wait);
  }

  /** Posts the queued requests as one message. */
  private flush(): void {
    const { batch, transfers } = this;
    this.dropBatch();
    if (batch.length === 0) return;
    this.posted++;
    this.thread().postMessage(batch, transfers);
  }

  private dropBatch(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.batch = [];
    this.transfers = [];
    this.batchedBytes = 0;
  }

  /** Opens `file` (exclusive: it must not exist) and writes the init segment; returns the handle. */
  open(file: string, init: Buffer): number {
    const id = this.nextId++;
    this.handles.set(id, { file, queued: init.length, written: { endMs: 0, bytes: 0 } });
    this.queuedBytes += init.length;
    const copy = Uint8Array.from(init);
    this.post({ op: 'open', id, file, init: copy }, init.length, copy.buffer);
    return id;
  }

  /**
   * Queues a fragment. `data` must own its ArrayBuffer (rebaseFragment's copy does): it is transferred,
   * not copied again. False when the handle has failed or the thread is too far behind.
   */
  append(id: number, data: Buffer, endMs: number): boolean {
    const h = this.handles.get(id);
    if (!h || h.failed || h.closing) return false;
    if (this.queuedBytes + data.length > (this.o.maxQueuedBytes ?? 64 * 1024 * 1024)) return false;
    h.queued += data.length;
    this.queuedBytes += data.length;
    const owns = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.post(
      { op: 'append', id, data: view, endMs },
      data.length,
      owns && data.buffer instanceof ArrayBuffer ? data.buffer : undefined,
    );
    return true;
  }

  /** Whether a handle's file failed (open, write): the recorder starts a new segment. */
  failed(id: number): { message: string; code: string } | undefined {
    return this.handles.get(id)?.failed;
  }

  /** What of a handle is on disk so far. */
  written(id: number): { endMs: number; bytes: number } | undefined {
    return this.handles.get(id)?.written;
  }

  /** Flushes and closes; with `renameTo` the file gets its final name. Never rejects. */
  close(id: number, renameTo?: string): Promise<ClosedFile> {
    const h = this.handles.get(id);
    if (!h)
      return Promise.resolve({
        file: '',
        bytes: 0,
        endMs: 0,
        error: { message: 'unknown handle', code: 'EBADF' },
      });
    return new Promise((resolve) => {
      h.closing = resolve;
      // A failed file is done: the thread (if it still knows it) only forgets it, nothing to wait for.
      const failed = h.failed;
      if (!failed || this.worker)
        this.post({ op: 'close', id, sync: this.o.sync ?? true, ...(renameTo ? { renameTo } : {}) }, 0);
      if (failed) this.finish(id, h);
    });
  }

  private finish(id: number, h: Handle, file = h.file, bytes = h.written.bytes): void {
    this.queuedBytes -= h.queued;
    h.queued = 0;
    if (!h.closing) return;
    this.handles.delete(id);
    h.closing({ file, bytes, endMs: h.written.endMs, ...(h.failed ? { error: h.failed } : {}) });
  }

  private onReply(m: WriterReply): void {
    const h = this.handles.get(m.id);
    if (!h) return;
    if (m.op === 'written') {
      const delta = m.bytes - h.written.bytes;
      h.written = { endMs: m.endMs, bytes: m.bytes };
      h.queued -= delta;
      this.queuedBytes -= delta;
      this.onWritten?.(m.id, m.endMs);
    } else if (m.op === 'closed') {
      h.written = { endMs: m.endMs, bytes: m.bytes };
      this.finish(m.id, h, m.file, m.bytes);
    } else {
      h.failed = { message: m.message, code: m.code };
      h.written = { endMs: m.endMs, bytes: m.bytes };
      this.finish(m.id, h);
    }
  }

  /** Waits for every queued write and close, then ends the thread. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.flush();
    const w = this.worker;
    if (!w) return;
    // Closes already asked for finish (their fdatasync included); a dead disk gets 10 s, not forever.
    const until = Date.now() + 10_000;
    while ([...this.handles.values()].some((h) => h.closing) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 10));
    this.worker = undefined;
    await w.terminate();
  }
}
