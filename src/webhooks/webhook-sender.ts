import { createHmac, randomUUID } from 'node:crypto';
import type { Bus } from '../bus.js';
import type { WebhookConfig } from '../config/sections/webhooks.js';
import type { Incident } from '../core/incident-types.js';
import { errorMessage } from '../errors.js';
import { type Logger, redactUrl } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Db } from '../store/sqlite.js';
import {
  backoffMs,
  DELIVERY_STATES,
  type Delivery,
  type NewDelivery,
  WebhookOutbox,
} from './webhook-outbox.js';

export const SIGNATURE_HEADER = 'x-sharpeyes-signature';
/** Idempotency key: the same on every attempt of a delivery, across restarts; receivers dedupe on it. */
export const DELIVERY_HEADER = 'x-sharpeyes-delivery';
const BATCH = 200;
const PURGE_EVERY_MS = 3_600_000;

/** `sha256=<hex>` of HMAC-SHA256(secret, body): the receiver recomputes it over the raw body. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookPayload {
  /** The delivery id (also the `x-sharpeyes-delivery` header). */
  id: string;
  event: WebhookConfig['events'][number];
  at: string;
  data: Record<string, unknown>;
}

export interface WebhookSenderDeps {
  db: Db;
  bus: Bus;
  log: Logger;
  metrics: Metrics;
  now?: () => Date;
  /** Jitter source (tests pin it). */
  random?: () => number;
  /** Adds module annotations (issue 9: `verification`) to the incident sent, as the REST API does. */
  extend?: (inc: Incident) => Incident;
}

/** Worth another try: the network, a timeout, the server's fault, or it asked us to slow down. */
function retriable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Signed webhooks for third-party dispatch systems, through a persistent outbox. Each published
 * change writes one row per hook (synchronously, in the same turn as the publish that follows the
 * core's commit); a worker sends due rows, one at a time per hook (in order for a healthy receiver),
 * and reschedules failures from the stored `next_attempt_at` with capped exponential backoff and
 * jitter. A row older than the hook's `maxAgeSeconds` (or past `maxAttempts`) is dead-lettered.
 * A restart picks up where the stored rows say; the delivery id header lets receivers dedupe an
 * attempt that reached them just before a crash.
 */
export class WebhookSender {
  readonly outbox: WebhookOutbox;
  private readonly byUrl = new Map<string, WebhookConfig>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly aborts = new Set<AbortController>();
  private readonly now: () => Date;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastPurge = 0;
  private readonly sent;
  private readonly stored;

  constructor(
    private readonly hooks: readonly WebhookConfig[],
    private readonly deps: WebhookSenderDeps,
  ) {
    this.outbox = new WebhookOutbox(deps.db);
    for (const h of hooks) this.byUrl.set(h.url, h);
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.sent = deps.metrics.counter('sharpeyes_webhook_deliveries_total', 'Webhook delivery outcomes', [
      'outcome',
    ]);
    this.stored = deps.metrics.gauge(
      'sharpeyes_webhook_outbox_rows',
      'Webhook outbox rows by state (failed: dead letters, see GET /api/webhooks/deliveries?state=failed)',
      ['state'],
    );
  }

  start(): void {
    const { bus } = this.deps;
    if (this.hooks.length > 0) {
      this.unsubscribe.push(
        bus.on('incident:new', (incident) => this.send('incident:new', incident, {})),
        bus.on('incident:update', (incident, change) => this.send('incident:update', incident, { change })),
        bus.on('incident:escalated', (incident, escalation) =>
          this.send('incident:escalated', incident, { escalation }),
        ),
      );
    }
    this.purge();
    // Rows left pending by the previous run (their hooks removed from the config are dead-lettered).
    this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // An attempt cut short stays pending and is sent again after the restart (same delivery id).
    for (const ac of this.aborts) ac.abort();
    await this.running;
  }

  /** Resolves when no delivery is pending any more: each was delivered or dead-lettered (tests). */
  async idle(): Promise<void> {
    while (!this.stopped && (this.running || this.outbox.nextDue() !== undefined))
      await new Promise((r) => setTimeout(r, 5));
  }

  /** Writes one outbox row per hook that takes `event`, then wakes the worker. Never throws. */
  send(event: WebhookPayload['event'], incident: Incident, extra: Record<string, unknown>): void {
    const at = this.now().toISOString();
    try {
      const inc = this.deps.extend ? this.deps.extend(incident) : incident;
      const rows: NewDelivery[] = [];
      for (const hook of this.hooks) {
        if (!hook.events.includes(event)) continue;
        const id = randomUUID();
        const payload: WebhookPayload = { id, event, at, data: { incident: inc, ...extra } };
        rows.push({
          id,
          hook: hook.url,
          event,
          incident: incident.id,
          site: incident.site,
          jurisdiction: incident.jurisdiction,
          body: JSON.stringify(payload),
        });
      }
      this.outbox.enqueue(rows, at);
    } catch (err) {
      // A bus listener must not throw into the core, whose change is committed already.
      this.sent.inc({ outcome: 'lost' });
      this.deps.log.error(
        { err: errorMessage(err), incident: incident.id, event },
        'webhooks: could not write the outbox; this change will not be sent',
      );
      return;
    }
    this.wake(0);
  }

  private wake(delayMs: number): void {
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

  private run(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sendDue()
      .catch((err: unknown) => this.deps.log.error({ err: errorMessage(err) }, 'webhooks: outbox run failed'))
      .finally(() => {
        this.running = undefined;
        this.refreshGauge();
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake(0);
          return;
        }
        const next = this.outbox.nextDue();
        if (next) this.wake(Date.parse(next) - this.now().getTime());
      });
  }

  private async sendDue(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      if (Date.now() - this.lastPurge > PURGE_EVERY_MS) this.purge();
      const due = this.outbox.due(this.now().toISOString(), BATCH);
      if (due.length === 0) return;
      const perHook = new Map<string, Delivery[]>();
      for (const d of due) perHook.set(d.hook, [...(perHook.get(d.hook) ?? []), d]);
      await Promise.all(
        [...perHook.values()].map(async (rows) => {
          for (const d of rows) if (!this.stopped) await this.attempt(d);
        }),
      );
    }
  }

  private async attempt(d: Delivery): Promise<void> {
    const hook = this.byUrl.get(d.hook);
    const url = redactUrl(d.hook);
    if (!hook) {
      this.outbox.failed(d.id, this.now().toISOString(), 'hook no longer configured');
      this.sent.inc({ outcome: 'failed' });
      this.deps.log.warn({ url, id: d.id }, 'webhooks: hook no longer configured; delivery dead-lettered');
      return;
    }
    const attempt = d.attempts + 1;
    const ac = new AbortController();
    this.aborts.add(ac);
    let problem: string;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-sharpeyes-event': d.event,
          [DELIVERY_HEADER]: d.id,
          'x-sharpeyes-attempt': String(attempt),
          [SIGNATURE_HEADER]: signBody(hook.secret, d.body),
        },
        body: d.body,
        signal: AbortSignal.any([ac.signal, AbortSignal.timeout(hook.timeoutMs)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.outbox.delivered(d.id, this.now().toISOString());
        this.sent.inc({ outcome: 'delivered' });
        return;
      }
      problem = `HTTP ${res.status}`;
      if (!retriable(res.status)) {
        this.outbox.failed(d.id, this.now().toISOString(), problem);
        this.sent.inc({ outcome: 'rejected' });
        this.deps.log.warn(
          { url, id: d.id, problem },
          'webhooks: receiver refused a delivery (dead-lettered)',
        );
        return;
      }
    } catch (err) {
      // Stopping cut the attempt short: it stays pending, as it was, for the next start.
      if (ac.signal.aborted) return;
      problem = errorMessage(err);
    } finally {
      this.aborts.delete(ac);
    }
    this.sent.inc({ outcome: 'retry' });
    const now = this.now();
    const deadline = Date.parse(d.createdAt) + hook.maxAgeSeconds * 1000;
    if ((hook.maxAttempts !== undefined && attempt >= hook.maxAttempts) || now.getTime() >= deadline) {
      this.outbox.failed(d.id, now.toISOString(), problem);
      this.sent.inc({ outcome: 'failed' });
      this.deps.log.warn(
        { url, id: d.id, attempts: attempt, problem },
        'webhooks: delivery given up (dead-lettered)',
      );
      return;
    }
    const wait = backoffMs(attempt, hook.initialBackoffMs, hook.maxBackoffMs, this.random);
    // The last try lands on the deadline rather than past it.
    const next = new Date(Math.min(now.getTime() + wait, deadline)).toISOString();
    this.outbox.retry(d.id, now.toISOString(), next, problem);
    this.deps.log.debug({ url, id: d.id, attempt, problem, wait }, 'webhooks: will retry');
  }

  private purge(): void {
    this.lastPurge = Date.now();
    const longest = Math.max(86_400, ...this.hooks.map((h) => h.maxAgeSeconds));
    this.outbox.purgeDelivered(new Date(this.now().getTime() - longest * 1000).toISOString());
    this.refreshGauge();
  }

  private refreshGauge(): void {
    const counts = this.outbox.counts();
    for (const s of DELIVERY_STATES) this.stored.set({ state: s }, counts[s]);
  }
}
