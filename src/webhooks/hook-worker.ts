import type { WebhookConfig } from '../config/sections/webhooks.js';
import { errorMessage } from '../errors.js';
import { type Logger, redactUrl } from '../log.js';
import { backoffMs, type Delivery, type WebhookOutbox } from './webhook-outbox.js';

export const SIGNATURE_HEADER = 'x-sharpeyes-signature';
/** Idempotency key: the same on every attempt of a delivery, across restarts; receivers dedupe on it. */
export const DELIVERY_HEADER = 'x-sharpeyes-delivery';
const BATCH = 50;

/** Worth another try: the network, a timeout, the server's fault, or it asked us to slow down. */
function retriable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export interface HookWorkerDeps {
  outbox: WebhookOutbox;
  log: Logger;
  now: () => Date;
  random: () => number;
  sign(secret: string, body: string): string;
  /** One outcome of an attempt, for `sharpeyes_webhook_deliveries_total{outcome}`. */
  count(outcome: 'delivered' | 'rejected' | 'retry' | 'failed'): void;
  /** After each run, so the outbox gauge follows. */
  onRunEnd(): void;
  /**
   * Issue 16: whether this node sends now (it holds the lease of the webhook sink); the others
   * look again every second, so the rows of a node that died are sent by the next holder.
   */
  mayRun?: () => boolean;
}

/**
 * One hook's worker: it sends that hook's due outbox rows one at a time, in order, and sleeps until
 * its next row is due. Every hook has its own, so a receiver that blackholes (accepts and never
 * answers) holds only its own worker for its `timeoutMs`; the others keep delivering.
 */
export class HookWorker {
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private abort: AbortController | undefined;
  private readonly url: string;

  constructor(
    readonly hook: WebhookConfig,
    private readonly deps: HookWorkerDeps,
  ) {
    this.url = redactUrl(hook.url);
  }

  /** Whether an attempt is running or a row of this hook is due now. */
  async busy(): Promise<boolean> {
    const next = await this.deps.outbox.nextDueFor(this.hook.url);
    return (
      this.running !== undefined || (next !== undefined && Date.parse(next) <= this.deps.now().getTime())
    );
  }

  async hasPending(): Promise<boolean> {
    return this.running !== undefined || (await this.deps.outbox.nextDueFor(this.hook.url)) !== undefined;
  }

  wake(delayMs = 0): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, delayMs);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.run();
      },
      Math.max(0, delayMs),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // An attempt cut short stays pending and is sent again after the restart (same delivery id).
    this.abort?.abort();
    await this.running;
  }

  private run(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sendDue()
      .catch((err: unknown) =>
        this.deps.log.error({ err: errorMessage(err), url: this.url }, 'webhooks: outbox run failed'),
      )
      .finally(() => {
        this.running = undefined;
        this.deps.onRunEnd();
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake(0);
          return;
        }
        this.deps.outbox
          .nextDueFor(this.hook.url)
          .then((next) => {
            if (next) this.wake(Date.parse(next) - this.deps.now().getTime());
          })
          .catch((err: unknown) => {
            // Woken again by the next change or the retry below; a dead timer would strand the hook.
            this.deps.log.error(
              { err: errorMessage(err), url: this.url },
              'webhooks: reading the next due row failed',
            );
            this.wake(5_000);
          });
      });
  }

  private async sendDue(): Promise<void> {
    if (this.deps.mayRun && !this.deps.mayRun()) {
      this.wake(1_000);
      return;
    }
    for (;;) {
      if (this.stopped) return;
      const due = await this.deps.outbox.dueFor(this.hook.url, this.deps.now().toISOString(), BATCH);
      if (due.length === 0) return;
      for (const d of due) {
        if (this.stopped) return;
        await this.attempt(d);
      }
    }
  }

  private async attempt(d: Delivery): Promise<void> {
    const { hook } = this;
    const { outbox, log } = this.deps;
    const attempt = d.attempts + 1;
    const ac = new AbortController();
    this.abort = ac;
    let problem: string;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-sharpeyes-event': d.event,
          [DELIVERY_HEADER]: d.id,
          'x-sharpeyes-attempt': String(attempt),
          [SIGNATURE_HEADER]: this.deps.sign(hook.secret, d.body),
        },
        body: d.body,
        // A receiver may not send us elsewhere (and the signature is for this URL's owner).
        redirect: 'manual',
        signal: AbortSignal.any([ac.signal, AbortSignal.timeout(hook.timeoutMs)]),
      });
      // The answer's body is not needed; cancel it rather than read a large or endless one.
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) {
        await outbox.delivered(d.id, this.deps.now().toISOString());
        this.deps.count('delivered');
        return;
      }
      problem = `HTTP ${res.status}`;
      if (!retriable(res.status)) {
        await outbox.failed(d.id, this.deps.now().toISOString(), problem);
        this.deps.count('rejected');
        log.warn(
          { url: this.url, id: d.id, problem },
          'webhooks: receiver refused a delivery (dead-lettered)',
        );
        return;
      }
    } catch (err) {
      // Stopping cut the attempt short: it stays pending, as it was, for the next start.
      if (ac.signal.aborted) return;
      problem = errorMessage(err);
    } finally {
      this.abort = undefined;
    }
    this.deps.count('retry');
    const now = this.deps.now();
    const deadline = Date.parse(d.createdAt) + hook.maxAgeSeconds * 1000;
    if ((hook.maxAttempts !== undefined && attempt >= hook.maxAttempts) || now.getTime() >= deadline) {
      await outbox.failed(d.id, now.toISOString(), problem);
      this.deps.count('failed');
      log.warn(
        { url: this.url, id: d.id, attempts: attempt, problem },
        'webhooks: delivery given up (dead-lettered)',
      );
      return;
    }
    const wait = backoffMs(attempt, hook.initialBackoffMs, hook.maxBackoffMs, this.deps.random);
    // The last try lands on the deadline rather than past it.
    const next = new Date(Math.min(now.getTime() + wait, deadline)).toISOString();
    await outbox.retry(d.id, now.toISOString(), next, problem);
    log.debug({ url: this.url, id: d.id, attempt, problem, wait }, 'webhooks: will retry');
  }
}
