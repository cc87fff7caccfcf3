/** How far back a summary may end: the buckets keep this many seconds more than the window. */
const LATE_SECONDS = 5;

/** What `RecentDurations.summary` answers, in ms: quantiles of the newest samples of the window. */
export interface DurationSummary {
  /** Every sample recorded in the window's whole seconds (exact, however many). */
  count: number;
  /** Over the newest `cap` samples of the window; 0 when it is empty. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Durations of the last minute (`windowMs`), for a health check that asks "how long now?" rather
 * than since the last scrape: counts in one-second buckets (exact), and the newest `cap` durations in
 * a ring for the quantiles. Recording is two array writes; the summary sorts at most `cap` numbers.
 * A summary may also end up to `LATE_SECONDS` in the past: the history's minute, read just after it.
 */
export class RecentDurations {
  private readonly at: Float64Array;
  private readonly ms: Float64Array;
  private next = 0;
  private size = 0;
  private readonly buckets: Int32Array;
  private readonly bucketSecond: Float64Array;

  constructor(
    private readonly windowMs = 60_000,
    private readonly cap = 4096,
    private readonly now: () => number = Date.now,
  ) {
    this.at = new Float64Array(cap);
    this.ms = new Float64Array(cap);
    const seconds = Math.ceil(windowMs / 1000) + 1 + LATE_SECONDS;
    this.buckets = new Int32Array(seconds);
    this.bucketSecond = new Float64Array(seconds).fill(-1);
  }

  record(ms: number): void {
    const t = this.now();
    this.at[this.next] = t;
    this.ms[this.next] = ms;
    this.next = (this.next + 1) % this.cap;
    if (this.size < this.cap) this.size++;
    const second = Math.floor(t / 1000);
    const b = second % this.buckets.length;
    if (this.bucketSecond[b] !== second) {
      this.bucketSecond[b] = second;
      this.buckets[b] = 0;
    }
    this.buckets[b]!++;
  }

  /**
   * The window that ends at `end` (now, or at most `LATE_SECONDS` ago): the seconds after the one it
   * starts in, up to and with the one it ends in. A calendar minute is `summary(minuteEnd - 1)`.
   */
  summary(end = this.now()): DurationSummary {
    const from = end - this.windowMs;
    let count = 0;
    const fromSecond = Math.floor(from / 1000);
    const endSecond = Math.floor(end / 1000);
    for (let b = 0; b < this.buckets.length; b++) {
      const second = this.bucketSecond[b]!;
      if (second > fromSecond && second <= endSecond) count += this.buckets[b]!;
    }
    const recent: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const at = this.at[i]!;
      if (at > from && at <= end) recent.push(this.ms[i]!);
    }
    if (recent.length === 0) return { count, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    recent.sort((a, b) => a - b);
    const q = (p: number) => recent[Math.min(recent.length - 1, Math.ceil((p / 100) * recent.length) - 1)]!;
    const round = (x: number) => Math.round(x * 100) / 100;
    return { count, p50Ms: round(q(50)), p99Ms: round(q(99)), maxMs: round(recent.at(-1)!) };
  }
}
