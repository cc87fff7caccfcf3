import { nextTurn } from '../util/next-turn.js';

/** A per-item failure in a flushed batch: that item is rejected, the others resolve. */
export class ItemFailed {
  constructor(readonly error: unknown) {}
}

/**
 * Group commit: items submitted in the same turn of the event loop (or while a flush is running) are
 * handed to `flush` together, so one transaction, one fsync, covers a burst from many panels. With
 * `keyOf`, no key takes more than `perKey` places in one batch: a runaway panel's flood waits for the
 * next batch instead of holding every other panel's panic behind it. With `rate`, a key's `limited`
 * items past its burst are committed at that rate (a runaway panel, whose sender waits for each
 * acknowledgement, then sends no faster), while every other key and every unlimited item goes ahead.
 *
 * An `urgent` item (a life-safety alarm) arriving while the batcher is quiet is committed in the turn
 * it arrived, before the loop goes on to other I/O and to the work queued for the check phase (the
 * outbox sinks' slices): a lone panic does not wait behind them. Within `burstMs` of the last flush
 * it is grouped like any other item, so a burst of alarms from many panels still shares commits.
 */
export class Batcher<T, R> {
  private queue: { item: T; limited: boolean; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;
  private scheduled = false;
  private urgentScheduled = false;
  /** When the last flush ended (`now()`), for telling a lone alarm from a burst. */
  private lastFlushEnd = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly burstMs: number;
  /** Per-key token buckets of `rate` (a key without one is full). */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private draining = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<(R | ItemFailed)[]>,
    private readonly maxBatch = 512,
    private readonly fairness?: {
      keyOf: (item: T) => string;
      perKey: number;
      /** Places a flooding key (more than `perKey` queued) gets while other keys wait. */
      whenOthersWait?: number;
      /**
       * Items submitted as `limited` take a token of their key's bucket (`burst` deep, refilled at
       * `perSecond`); without one they wait in the queue, and other keys' items go past them.
       */
      rate?: { perSecond: number; burst: number };
    },
    opts: { burstMs?: number; now?: () => number } = {},
  ) {
    this.burstMs = opts.burstMs ?? 2;
    this.now = opts.now ?? (() => performance.now());
  }

  /**
   * `limited`: the item counts against its key's `rate` (unlimited items never wait for it).
   * `urgent`: a life-safety item; committed at once when the batcher is quiet (see the class).
   */
  submit(item: T, limited = false, urgent = false): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, limited: limited && this.fairness?.rate !== undefined, resolve, reject });
      if (urgent && this.quiet()) this.scheduleNow();
      else this.schedule();
    });
  }

  /** No flush running, none scheduled at once, and none ended within `burstMs`. */
  private quiet(): boolean {
    return !this.running && !this.urgentScheduled && this.now() - this.lastFlushEnd >= this.burstMs;
  }

  /** Items waiting or in flight. */
  get depth(): number {
    return this.queue.length;
  }

  /** Resolves when everything submitted so far has been flushed. */
  async drain(): Promise<void> {
    // What was received is committed before a stop: no key waits for its tokens now.
    this.draining = true;
    this.schedule();
    try {
      while (this.queue.length > 0 || this.running) await new Promise((r) => setTimeout(r, 5));
    } finally {
      this.draining = false;
    }
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.urgentScheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running) void this.run();
    });
  }

  /**
   * Flushes once the promise jobs of the current turn have run (so whatever else that turn submits
   * joins the batch), ahead of the loop's other callbacks and its check phase.
   */
  private scheduleNow(): void {
    this.urgentScheduled = true;
    process.nextTick(() => {
      this.urgentScheduled = false;
      if (!this.running) void this.run();
    });
  }

  private take(): typeof this.queue {
    if (!this.fairness) return this.queue.splice(0, this.maxBatch);
    const { keyOf, perKey, whenOthersWait } = this.fairness;
    const keys = this.queue.map((q) => keyOf(q.item));
    const queued = new Map<string, number>();
    for (const key of keys) queued.set(key, (queued.get(key) ?? 0) + 1);
    // A key with more queued than its share is flooding; while another key waits, it gets fewer
    // places, so the other key's batch (a panic's) commits sooner.
    const limit = (key: string): number =>
      whenOthersWait !== undefined && queued.size > 1 && (queued.get(key) ?? 0) > perKey
        ? whenOthersWait
        : perKey;
    const counts = new Map<string, number>();
    const batch: typeof this.queue = [];
    const rest: typeof this.queue = [];
    const now = performance.now();
    for (const [i, q] of this.queue.entries()) {
      const key = keys[i]!;
      const n = counts.get(key) ?? 0;
      const fits = batch.length < this.maxBatch && n < limit(key);
      if (fits && (!q.limited || this.draining || this.spend(key, now))) {
        counts.set(key, n + 1);
        batch.push(q);
      } else rest.push(q);
    }
    this.queue = rest;
    return batch;
  }

  /** Takes a token of `key`'s bucket; false when it is empty. */
  private spend(key: string, now: number): boolean {
    const tokens = this.tokens(key, now);
    const ok = tokens >= 1;
    this.buckets.set(key, { tokens: ok ? tokens - 1 : tokens, at: now });
    if (ok && this.buckets.size > 10_000) this.pruneBuckets(now);
    return ok;
  }

  /** The tokens `key`'s bucket holds at `now` (a key without a bucket is full). */
  private tokens(key: string, now: number): number {
    const { perSecond, burst } = this.fairness!.rate!;
    const b = this.buckets.get(key);
    return b ? Math.min(burst, b.tokens + ((now - b.at) * perSecond) / 1000) : burst;
  }

  /** Forgets buckets that have refilled. */
  private pruneBuckets(now: number): void {
    const { burst } = this.fairness!.rate!;
    for (const key of this.buckets.keys()) if (this.tokens(key, now) >= burst) this.buckets.delete(key);
  }

  /** Everything queued waits for a token: look again when the next one is due. */
  private wakeForTokens(): void {
    if (this.timer) return;
    const ms = Math.max(1, Math.ceil(1000 / this.fairness!.rate!.perSecond));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.take();
        if (batch.length === 0) {
          this.wakeForTokens();
          break;
        }
        try {
          const results = await this.flush(batch.map((b) => b.item));
          for (const [i, b] of batch.entries()) {
            const r = results[i];
            if (r instanceof ItemFailed) b.reject(r.error);
            else b.resolve(r as R);
          }
        } catch (err) {
          for (const b of batch) b.reject(err);
        } finally {
          this.lastFlushEnd = this.now();
        }
        // Let the PUBACKs of this batch go out before the next one is committed.
        if (this.queue.length > 0) await nextTurn();
      }
    } finally {
      this.running = false;
    }
  }
}
