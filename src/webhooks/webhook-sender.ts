import { createHmac, randomUUID } from 'node:crypto';
import type { Bus } from '../bus.js';
import type { WebhookConfig } from '../config/sections/webhooks.js';
import { errorMessage } from '../errors.js';
import { type Logger, redactUrl } from '../log.js';
import type { Metrics } from '../metrics.js';

export const SIGNATURE_HEADER = 'x-sharpeyes-signature';
const MAX_BACKOFF_MS = 5 * 60_000;

/** `sha256=<hex>` of HMAC-SHA256(secret, body): the receiver recomputes it over the raw body. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookPayload {
  id: string;
  event: WebhookConfig['events'][number];
  at: string;
  data: Record<string, unknown>;
}

/** Worth another try: the network, a timeout, the server's fault, or it asked us to slow down. */
function retriable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Signed webhooks for third-party dispatch systems. Subscribes to the bus (no store writes); each
 * delivery retries with exponential backoff. Deliveries are kept in memory: a webhook is a courtesy
 * copy, the incident itself is durable in the store.
 */
export class WebhookSender {
  private readonly unsubscribe: (() => void)[] = [];
  /** Backoff waits, so stop() can end them at once. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;
  private readonly sent;

  constructor(
    private readonly hooks: readonly WebhookConfig[],
    private readonly deps: { bus: Bus; log: Logger; metrics: Metrics },
  ) {
    this.sent = deps.metrics.counter('sharpeyes_webhook_deliveries_total', 'Webhook delivery outcomes', [
      'outcome',
    ]);
  }

  start(): void {
    if (this.hooks.length === 0) return;
    const { bus } = this.deps;
    this.unsubscribe.push(
      bus.on('incident:new', (incident) => this.send('incident:new', { incident })),
      bus.on('incident:update', (incident, change) => this.send('incident:update', { incident, change })),
      bus.on('incident:escalated', (incident, escalation) =>
        this.send('incident:escalated', { incident, escalation }),
      ),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const [t, wake] of this.timers) {
      clearTimeout(t);
      wake();
    }
    this.timers.clear();
    await Promise.allSettled([...this.inflight]);
  }

  /** Resolves when every delivery started so far has succeeded or given up (tests). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  send(event: WebhookPayload['event'], data: Record<string, unknown>): void {
    const payload: WebhookPayload = { id: randomUUID(), event, at: new Date().toISOString(), data };
    const body = JSON.stringify(payload);
    for (const hook of this.hooks) {
      if (!hook.events.includes(event)) continue;
      const p = this.deliver(hook, payload.id, event, body).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }
  }

  private async deliver(hook: WebhookConfig, id: string, event: string, body: string): Promise<void> {
    const signature = signBody(hook.secret, body);
    for (let attempt = 1; attempt <= hook.maxAttempts && !this.stopped; attempt++) {
      let problem: string;
      try {
        const res = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-sharpeyes-event': event,
            'x-sharpeyes-delivery': id,
            'x-sharpeyes-attempt': String(attempt),
            [SIGNATURE_HEADER]: signature,
          },
          body,
          signal: AbortSignal.timeout(hook.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.sent.inc({ outcome: 'delivered' });
          return;
        }
        problem = `HTTP ${res.status}`;
        if (!retriable(res.status)) {
          this.sent.inc({ outcome: 'rejected' });
          this.deps.log.warn(
            { url: redactUrl(hook.url), id, problem },
            'webhooks: receiver refused a delivery',
          );
          return;
        }
      } catch (err) {
        problem = errorMessage(err);
      }
      this.sent.inc({ outcome: 'retry' });
      if (attempt === hook.maxAttempts) break;
      const wait = Math.min(hook.initialBackoffMs * 2 ** (attempt - 1), MAX_BACKOFF_MS);
      this.deps.log.debug({ url: redactUrl(hook.url), id, attempt, problem, wait }, 'webhooks: retrying');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, wait);
        this.timers.set(t, resolve);
      });
    }
    this.sent.inc({ outcome: 'failed' });
    this.deps.log.warn({ url: redactUrl(hook.url), id, event }, 'webhooks: delivery given up');
  }
}
