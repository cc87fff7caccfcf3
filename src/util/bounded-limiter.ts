import { BoundedMap } from './bounded-map.js';

export interface BoundedLimiterOptions {
  /** Length of one window, ms (60_000: "at most once a minute"). */
  intervalMs: number;
  /** Allowed per key per window (default 1). */
  perKey?: number;
  /** Keys remembered at most; the least recently seen is forgotten first (default 10_000). */
  maxKeys?: number;
  /**
   * Allowed per window across all keys (default unlimited). A flood of new keys — every message
   * naming a new panel id or username — is then bounded too, not only each key.
   */
  overall?: number;
  now?: () => number;
}

export interface LimiterDecision {
  allowed: boolean;
  /**
   * On an allowed take: how many takes of this key were refused since the last allowed one, so the
   * line that is written can say "(and 41 more)". Zero on a refused take.
   */
  suppressed: number;
}

interface KeyState {
  windowStart: number;
  used: number;
  suppressed: number;
}

/**
 * "Log (or audit) this at most N times per key per interval", in bounded memory: the reject log of
 * panels, failed logins, refused footage URLs. A forgotten key starts afresh, which at worst lets
 * one more line through; it never lets memory grow with the number of keys an attacker sends.
 */
export class BoundedLimiter {
  private readonly keys: BoundedMap<string, KeyState>;
  private readonly perKey: number;
  private readonly overall: number;
  private readonly now: () => number;
  private overallStart = Number.NEGATIVE_INFINITY;
  private overallUsed = 0;
  /** Takes refused because the overall budget was spent, since the last allowed take. */
  private overallSuppressed = 0;

  constructor(private readonly opts: BoundedLimiterOptions) {
    if (!(opts.intervalMs > 0)) throw new RangeError('bounded-limiter: intervalMs must be positive');
    this.keys = new BoundedMap(opts.maxKeys ?? 10_000);
    this.perKey = opts.perKey ?? 1;
    this.overall = opts.overall ?? Number.POSITIVE_INFINITY;
    this.now = opts.now ?? Date.now;
  }

  /** Keys currently remembered (at most `maxKeys`). */
  get size(): number {
    return this.keys.size;
  }

  /** Takes made while the overall budget was spent, not yet reported by an allowed take. */
  get overallSuppressedCount(): number {
    return this.overallSuppressed;
  }

  take(key: string): LimiterDecision {
    const t = this.now();
    let st = this.keys.get(key);
    if (!st || t - st.windowStart >= this.opts.intervalMs) {
      st = { windowStart: t, used: 0, suppressed: st?.suppressed ?? 0 };
      this.keys.set(key, st);
    }
    if (t - this.overallStart >= this.opts.intervalMs) {
      this.overallStart = t;
      this.overallUsed = 0;
    }
    if (st.used >= this.perKey) {
      st.suppressed++;
      return { allowed: false, suppressed: 0 };
    }
    if (this.overallUsed >= this.overall) {
      st.suppressed++;
      this.overallSuppressed++;
      return { allowed: false, suppressed: 0 };
    }
    st.used++;
    this.overallUsed++;
    const suppressed = st.suppressed;
    st.suppressed = 0;
    return { allowed: true, suppressed };
  }

  /** Reports and resets the overall-budget refusals (for a periodic "N more suppressed" line). */
  drainOverallSuppressed(): number {
    const n = this.overallSuppressed;
    this.overallSuppressed = 0;
    return n;
  }
}
