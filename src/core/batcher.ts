/** A per-item failure in a flushed batch: that item is rejected, the others resolve. */
export class ItemFailed {
  constructor(readonly error: unknown) {}
}

/**
 * Group commit: items submitted in the same turn of the event loop (or while a flush is running) are
 * handed to `flush` together, so one transaction, one fsync, covers a burst from many panels. With
 * `keyOf`, no key takes more than `perKey` places in one batch: a runaway panel's flood waits for the
 * next batch instead of holding every other panel's panic behind it.
 */
export class Batcher<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;
  private scheduled = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<(R | ItemFailed)[]>,
    private readonly maxBatch = 512,
    private readonly fairness?: {
      keyOf: (item: T) => string;
      perKey: number;
      /** Places a flooding key (more than `perKey` queued) gets while other keys wait. */
      whenOthersWait?: number;
    },
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting or in flight. */
  get depth(): number {
    return this.queue.length;
  }

  /** Resolves when everything submitted so far has been flushed. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.running) await new Promise((r) => setTimeout(r, 5));
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
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
    for (const [i, q] of this.queue.entries()) {
      const key = keys[i]!;
      const n = counts.get(key) ?? 0;
      if (batch.length < this.maxBatch && n < limit(key)) {
        counts.set(key, n + 1);
        batch.push(q);
      } else rest.push(q);
    }
    this.queue = rest;
    return batch;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.take();
        try {
          const results = await this.flush(batch.map((b) => b.item));
          for (const [i, b] of batch.entries()) {
            const r = results[i];
            if (r instanceof ItemFailed) b.reject(r.error);
            else b.resolve(r as R);
          }
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
        // Let the PUBACKs of this batch go out before the next one is committed.
        if (this.queue.length > 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.running = false;
    }
  }
}
