import { classify, type DriverCameraEvent, type OnvifEvents, type Subscription } from './onvif-events.js';

export interface PullPointOptions {
  onEvent(ev: DriverCameraEvent): void;
  onError?(err: unknown, attempt: number): void;
  /** Delay before re-subscribing after the n-th consecutive failure (the caller's backoff policy). */
  retryDelayMs(attempt: number): number;
  pullTimeoutSeconds?: number;
  terminationSeconds?: number;
}

/**
 * Keeps one PullPoint subscription alive: subscribe, long-poll PullMessages, renew before the
 * termination time, re-subscribe with the caller's backoff after any failure, unsubscribe on stop.
 */
export class PullPointMaintainer {
  private stopped = false;
  private sub: Subscription | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly events: OnvifEvents,
    private readonly opts: PullPointOptions,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  get subscribed(): boolean {
    return this.sub !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const sub = this.sub;
    this.sub = undefined;
    if (sub) {
      // Tolerated: the camera drops the subscription itself at its termination time.
      await this.events.unsubscribe(sub).catch(() => undefined);
    }
    await this.loop?.catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const term = this.opts.terminationSeconds ?? 60;
    const pullTimeout = this.opts.pullTimeoutSeconds ?? 5;
    let attempt = 0;
    while (!this.stopped) {
      try {
        this.sub = await this.events.subscribe(term);
        let renewAt = Date.now() + (term * 1000) / 2;
        while (!this.stopped && this.sub) {
          const { messages } = await this.events.pull(this.sub, pullTimeout);
          attempt = 0;
          for (const m of messages) {
            const ev = classify(m);
            if (ev) this.opts.onEvent(ev);
          }
          if (Date.now() >= renewAt && this.sub) {
            await this.events.renew(this.sub, term);
            renewAt = Date.now() + (term * 1000) / 2;
          }
        }
      } catch (err) {
        this.sub = undefined;
        if (this.stopped) return;
        attempt++;
        this.opts.onError?.(err, attempt);
        await this.sleep(this.opts.retryDelayMs(attempt));
      }
    }
  }
}
