import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';

/** Something that delivers media of one camera until stopped (the stream hub, or an ffmpeg reader). */
export interface FrameSource {
  stop(): void;
  /**
   * It reconnects by itself while kept (the stream hub retries its upstream, at most 10 s apart): the
   * watchdog only judges loss and restore and never drops it for silence. Dropping and re-opening it
   * with the watchdog's own backoff would only add that backoff (up to a minute) to a camera's return.
   */
  selfHealing?: boolean;
}

export type OpenFrameSource = (h: { onData(): void; onEnd(reason: string): void }) => FrameSource;

/** A self-healing source silent this long is dropped and opened again anyway (a last resort). */
export const SELF_HEALING_STALE_MS = 300_000;

export type HealthState = 'connecting' | 'up' | 'lost' | 'stopped';

export interface CameraHealthOptions {
  lossSeconds: number;
  open: OpenFrameSource;
  /** `lastFrameAt`: epoch ms of its last media, absent when it has delivered none since `start()`. */
  onLoss(info: { seconds: number; reason: string | undefined; lastFrameAt?: number }): void;
  onRestore(info: { downSeconds: number }): void;
  onState?(state: HealthState): void;
  onReconnect?(info: { attempt: number; delayMs: number; reason: string }): void;
  backoff?: BackoffPolicy;
  random?: () => number;
  /**
   * A loss that began before a restart (stored): the watchdog starts in it, so the first media
   * raises the restore that closes its ticket, and the silence does not raise a second loss.
   */
  lostSince?: number | undefined;
}

export interface HealthStatus {
  state: HealthState;
  lastFrameAt: string | null;
  lostSince: string | null;
  reconnects: number;
  lastError: string | null;
}

/**
 * The per-camera watchdog: no media for `lossSeconds` → one `onLoss` (and the stalled reader is
 * dropped so it reconnects); media again → one `onRestore`. Readers that end are reopened with
 * capped exponential backoff and jitter; the backoff resets on the first media after a reconnect.
 * A short reconnect that finds media again within `lossSeconds` raises nothing. A self-healing
 * source (the stream hub) is kept through silence: it reconnects at its own pace.
 */
export class CameraHealthMaintainer {
  private state: HealthState = 'connecting';
  private source: FrameSource | undefined;
  private generation = 0;
  private attempt = 0;
  private reconnects = 0;
  private startedAt = 0;
  private connectedAt = 0;
  private lastFrame: number | undefined;
  private lostAt: number | undefined;
  private lastError: string | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: CameraHealthOptions) {}

  private get lossMs(): number {
    return this.opts.lossSeconds * 1000;
  }

  start(): void {
    this.startedAt = Date.now();
    if (this.opts.lostSince !== undefined) {
      this.lostAt = this.opts.lostSince;
      this.setState('lost');
    }
    this.checkTimer = setInterval(() => this.check(), Math.max(100, Math.min(1000, this.lossMs / 4)));
    this.checkTimer.unref?.();
    this.connect();
  }

  stop(): void {
    this.setState('stopped');
    clearInterval(this.checkTimer);
    clearTimeout(this.retryTimer);
    this.generation++;
    const s = this.source;
    this.source = undefined;
    s?.stop();
  }

  status(): HealthStatus {
    return {
      state: this.state,
      lastFrameAt: this.lastFrame !== undefined ? new Date(this.lastFrame).toISOString() : null,
      lostSince: this.lostAt !== undefined ? new Date(this.lostAt).toISOString() : null,
      reconnects: this.reconnects,
      lastError: this.lastError ?? null,
    };
  }

  private setState(s: HealthState): void {
    if (this.state === s) return;
    this.state = s;
    this.opts.onState?.(s);
  }

  private connect(): void {
    if (this.state === 'stopped') return;
    const gen = ++this.generation;
    this.connectedAt = Date.now();
    let endedEarly: string | undefined;
    const source = this.opts.open({
      onData: () => {
        if (gen === this.generation) this.onData();
      },
      onEnd: (reason) => {
        if (gen !== this.generation) return;
        if (this.source === undefined) endedEarly = reason;
        else this.onEnd(reason);
      },
    });
    this.source = source;
    if (endedEarly !== undefined) this.onEnd(endedEarly);
  }

  private onData(): void {
    this.lastFrame = Date.now();
    this.attempt = 0;
    if (this.state === 'up') return;
    if (this.lostAt !== undefined) {
      const downSeconds = Math.round((this.lastFrame - this.lostAt) / 1000);
      this.lostAt = undefined;
      this.opts.onRestore({ downSeconds });
    }
    this.setState('up');
  }

  private onEnd(reason: string): void {
    this.source = undefined;
    this.lastError = reason;
    if (this.state === 'stopped') return;
    if (this.state === 'up') this.setState('connecting');
    this.attempt++;
    this.reconnects++;
    const delayMs = backoffDelay(this.attempt, this.opts.backoff ?? DEFAULT_BACKOFF, this.opts.random);
    this.opts.onReconnect?.({ attempt: this.attempt, delayMs, reason });
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
    this.retryTimer.unref?.();
  }

  private check(): void {
    if (this.state === 'stopped') return;
    const now = Date.now();
    const last = this.lastFrame ?? this.startedAt;
    if (this.lostAt === undefined && now - last >= this.lossMs) {
      this.lostAt = now;
      this.setState('lost');
      this.opts.onLoss({
        seconds: Math.round((now - last) / 1000),
        reason: this.lastError,
        ...(this.lastFrame !== undefined ? { lastFrameAt: this.lastFrame } : {}),
      });
    }
    // A reader that is connected but silent (camera froze, NAT dropped the flow) is dropped so it
    // reconnects. A self-healing one reconnects by itself: it is dropped only after a long silence, in
    // case it is stuck where its own retries cannot reach (the watchdog's own backoff then applies).
    const silentLimit = this.source?.selfHealing ? Math.max(this.lossMs, SELF_HEALING_STALE_MS) : this.lossMs;
    if (this.source && now - Math.max(this.lastFrame ?? 0, this.connectedAt) >= silentLimit) {
      const s = this.source;
      // Bump the generation first: the reader's own (later) onEnd must not schedule a second reconnect.
      this.generation++;
      this.source = undefined;
      s.stop();
      this.onEnd('no media while connected');
    }
  }
}
