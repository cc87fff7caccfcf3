import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Bus } from '../bus.js';
import type { WebhookConfig } from '../config/sections/webhooks.js';
import type { Incident } from '../core/incident-types.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { DB } from '../store/db-types.js';
import { uuid7 } from '../util/uuid7.js';
import { HookWorker } from './hook-worker.js';
import { DELIVERY_STATES, type NewDelivery, WebhookOutbox } from './webhook-outbox.js';

export { DELIVERY_HEADER, SIGNATURE_HEADER } from './hook-worker.js';

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
  k: Kysely<DB>;
  bus: Bus;
  log: Logger;
  metrics: Metrics;
  now?: () => Date;
  /** Jitter source (tests pin it). */
  random?: () => number;
  /** Issue 16: deliver only while this returns true (the node holding the webhook sink's lease). */
  mayRun?: () => boolean;
  /**
   * Adds module annotations (issue 9 `verification`; issue 17 `plan`, `owner`, `confirmation`...) to
   * the incident sent, as the REST API and the `/ops` pushes do.
   */
  extend?: (inc: Incident) => Incident | Promise<Incident>;
}

/**
 * Signed webhooks for third-party dispatch systems, through a persistent outbox. Each published
 * change writes one row per hook (synchronously, in the same turn as the publish that follows the
 * core's commit); each hook has its own worker (src/webhooks/hook-worker.ts) that sends its due rows
 * in order and reschedules failures from the stored `next_attempt_at` with capped exponential
 * backoff and jitter, so a receiver that hangs delays only its own deliveries. A row older than the
 * hook's `maxAgeSeconds` (or past `maxAttempts`) is dead-lettered. A restart picks up where the
 * stored rows say; the delivery id header lets receivers dedupe an attempt that reached them just
 * before a crash.
 */
export class WebhookSender {
  readonly outbox: WebhookOutbox;
  private readonly workers = new Map<string, HookWorker>();
  private readonly now: () => Date;
  private purgeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Outbox writes under way: `idle` waits for them before asking what is pending. */
  private readonly inflight = new Set<Promise<void>>();
  private readonly sent;
  private readonly stored;
  /** Gauge refreshes, one after another so an older count never overwrites a newer one. */
  private counting: Promise<void> = Promise.resolve();

  constructor(
    private readonly hooks: readonly WebhookConfig[],
    private readonly deps: WebhookSenderDeps,
  ) {
    this.outbox = new WebhookOutbox(deps.k);
    this.now = deps.now ?? (() => new Date());
    this.sent = deps.metrics.counter('sharpeyes_webhook_deliveries_total', 'Webhook delivery outcomes', [
      'outcome',
    ]);
    this.stored = deps.metrics.gauge(
      'sharpeyes_webhook_outbox_rows',
      'Webhook outbox rows by state (failed: dead letters, see GET /api/webhooks/deliveries?state=failed)',
      ['state'],
    );
    for (const hook of hooks) {
      // Rows are keyed by URL: two entries with one URL share a worker (the first one's settings).
      if (this.workers.has(hook.url)) continue;
      this.workers.set(
        hook.url,
        new HookWorker(hook, {
          outbox: this.outbox,
          log: deps.log,
          now: this.now,
          random: deps.random ?? Math.random,
          sign: signBody,
          count: (outcome) => this.sent.inc({ outcome }),
          onRunEnd: () => this.refreshGauge(),
          ...(deps.mayRun ? { mayRun: deps.mayRun } : {}),
        }),
      );
    }
  }

  async start(): Promise<void> {
    // Issue 13: changes arrive through the outbox (src/outbox/webhook-sink.ts calls `send`).
    // Rows left pending by the previous run for hooks since removed from the config: dead letters.
    const orphans = await this.outbox.failOrphans([...this.workers.keys()], this.now().toISOString());
    if (orphans > 0) {
      this.sent.inc({ outcome: 'failed' }, orphans);
      this.deps.log.warn(
        { rows: orphans },
        'webhooks: deliveries of hooks no longer configured dead-lettered',
      );
    }
    await this.purge();
    this.purgeTimer = setInterval(() => void this.purge(), PURGE_EVERY_MS);
    this.purgeTimer.unref();
    for (const w of this.workers.values()) w.wake(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
  }

  /** Resolves when no delivery is pending any more: each was delivered or dead-lettered (tests). */
  async idle(): Promise<void> {
    const pending = async () =>
      (await Promise.all([...this.workers.values()].map((w) => w.hasPending()))).some(Boolean);
    await Promise.all(this.inflight);
    while (!this.stopped && (await pending())) await new Promise((r) => setTimeout(r, 5));
    // A run's end starts a count; the gauge then says what the rows say.
    await this.counting;
  }

  /** Writes one outbox row per hook that takes `event`, then wakes those hooks' workers. Never throws. */
  async send(
    event: WebhookPayload['event'],
    incident: Incident,
    extra: Record<string, unknown>,
  ): Promise<void> {
    const p = this.write(event, incident, extra);
    this.inflight.add(p);
    try {
      await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  /** The incident with its annotations; without them (logged) when one cannot be read. */
  private async extended(incident: Incident): Promise<Incident> {
    if (!this.deps.extend) return incident;
    try {
      return await this.deps.extend(incident);
    } catch (err) {
      // The delivery must still go out; only its annotations are missing.
      this.deps.log.error(
        { err, incident: incident.id },
        'webhooks: incident annotations not read; sent without',
      );
      return incident;
    }
  }

  private async write(
    event: WebhookPayload['event'],
    incident: Incident,
    extra: Record<string, unknown>,
  ): Promise<void> {
    const at = this.now().toISOString();
    const woken = new Set<HookWorker>();
    try {
      const inc = await this.extended(incident);
      const rows: NewDelivery[] = [];
      for (const worker of this.workers.values()) {
        if (!worker.hook.events.includes(event)) continue;
        // Time-ordered: a hook's rows are sent in the order they were written.
        const id = uuid7();
        const payload: WebhookPayload = { id, event, at, data: { incident: inc, ...extra } };
        rows.push({
          id,
          hook: worker.hook.url,
          event,
          incident: incident.id,
          site: incident.site,
          jurisdiction: incident.jurisdiction,
          body: JSON.stringify(payload),
        });
        woken.add(worker);
      }
      await this.outbox.enqueue(rows, at);
    } catch (err) {
      // The outbox sink calling this must not fail on one change; the row is counted as lost.
      this.sent.inc({ outcome: 'lost' });
      this.deps.log.error(
        { err: errorMessage(err), incident: incident.id, event },
        'webhooks: could not write the outbox; this change will not be sent',
      );
      return;
    }
    for (const w of woken) w.wake(0);
  }

  private async purge(): Promise<void> {
    const longest = Math.max(86_400, ...this.hooks.map((h) => h.maxAgeSeconds));
    try {
      await this.outbox.purgeDelivered(new Date(this.now().getTime() - longest * 1000).toISOString());
    } catch (err) {
      this.deps.log.error(
        { err: errorMessage(err) },
        'webhooks: purging delivered rows failed; next hour again',
      );
    }
    this.refreshGauge();
  }

  private refreshGauge(): void {
    this.counting = this.counting
      .then(() => this.outbox.counts())
      .then((counts) => {
        for (const s of DELIVERY_STATES) this.stored.set({ state: s }, counts[s]);
      })
      .catch((err: unknown) =>
        this.deps.log.warn({ err: errorMessage(err) }, 'webhooks: counting rows failed'),
      );
  }
}
