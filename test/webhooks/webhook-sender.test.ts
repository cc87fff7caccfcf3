import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Bus } from '../../src/bus.js';
import { webhookSchema } from '../../src/config/sections/webhooks.js';
import type { Incident } from '../../src/core/incident-types.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { DB } from '../../src/store/db-types.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { backoffMs } from '../../src/webhooks/webhook-outbox.js';
import { WebhookSender } from '../../src/webhooks/webhook-sender.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';

const SECRET = 'a-webhook-secret-of-some-length';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver that answers each request with the next status of `script` (then 200). */
async function receiver(
  script: number[],
  port = 0,
): Promise<{ url: string; port: number; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.statusCode = script.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const p = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${p}/hook`, port: p, got, server };
}

const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));
const incident = {
  id: 'INC-1',
  site: 'shop-1',
  jurisdiction: 'north',
  priority: 1,
  state: 'new',
} as unknown as Incident;

afterAll(() => stopSharedPostgres());

describe.each(['sqlite', 'postgres'] as const)('signed webhooks through the outbox on %s', (dialect) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function database(): Promise<Kysely<DB>> {
    if (dialect === 'postgres') {
      const store = await openPostgresStore(await freshPostgresDatabase());
      cleanup.push(() => store.close());
      return store.k;
    }
    const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-webhooks-'));
    const store = new SqliteStore(join(dir, 'sharpeyes.db'));
    cleanup.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return store.k;
  }

  function sender(
    db: Kysely<DB>,
    url: string,
    hook: Record<string, unknown> = {},
    metrics = new Metrics({ defaults: false }),
  ) {
    const bus = new Bus();
    const s = new WebhookSender(
      [webhookSchema.parse({ url, secret: SECRET, initialBackoffMs: 10, maxBackoffMs: 40, ...hook })],
      { k: db, bus, log: silentLogger, metrics },
    );
    void s.start();
    // In the service the outbox's webhook sink calls `send` (src/outbox/webhook-sink.ts); here the
    // test's bus stands in for it.
    bus.on('incident:new', (inc) => s.send('incident:new', inc, {}));
    bus.on('incident:update', (inc, change) => s.send('incident:update', inc, { change }));
    bus.on('incident:escalated', (inc, escalation) => s.send('incident:escalated', inc, { escalation }));
    cleanup.push(() => s.stop());
    return { bus, sender: s, metrics };
  }

  async function setup(script: number[], hook: Record<string, unknown> = {}) {
    const r = await receiver(script);
    cleanup.push(() => close(r.server));
    const db = await database();
    return { ...r, db, ...sender(db, r.url, hook) };
  }

  it.each([
    { script: [], attempts: 1, state: 'delivered', what: 'delivered at once' },
    { script: [503, 500], attempts: 3, state: 'delivered', what: 'retried after server errors' },
    { script: [429], attempts: 2, state: 'delivered', what: 'retried after 429' },
    { script: [400], attempts: 1, state: 'failed', what: 'dead-lettered at once after a 4xx refusal' },
    { script: [503, 503, 503, 503], attempts: 3, state: 'failed', what: 'dead-lettered after maxAttempts' },
  ])('$what', async ({ script, attempts, state }) => {
    const { bus, sender: s, got } = await setup(script, { maxAttempts: 3 });
    bus.emit('incident:new', incident);
    await s.idle();
    expect(got).toHaveLength(attempts);
    const id = got[0]?.headers['x-sharpeyes-delivery'];
    for (const [i, r] of got.entries()) {
      const expected = `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`;
      expect(r.headers['x-sharpeyes-signature']).toBe(expected);
      expect(r.headers['x-sharpeyes-attempt']).toBe(String(i + 1));
      expect(r.headers['x-sharpeyes-event']).toBe('incident:new');
      expect(r.headers['x-sharpeyes-delivery']).toBe(id);
      expect(JSON.parse(r.body)).toMatchObject({
        id,
        event: 'incident:new',
        data: { incident: { id: 'INC-1' } },
      });
    }
    expect(await s.outbox.get(String(id))).toMatchObject({ state, attempts, incident: 'INC-1' });
  });

  it('a body altered in transit no longer matches the signature', async () => {
    const { bus, sender: s, got } = await setup([]);
    bus.emit('incident:escalated', incident, { step: 1, kind: 'escalate', jurisdiction: 'north', at: 'x' });
    await s.idle();
    const tampered = got[0]!.body.replace('north', 'south');
    const sig = `sha256=${createHmac('sha256', SECRET).update(tampered).digest('hex')}`;
    expect(got[0]?.headers['x-sharpeyes-signature']).not.toBe(sig);
  });

  it('sends only the configured events', async () => {
    const { bus, sender: s, got } = await setup([], { events: ['incident:escalated'] });
    bus.emit('incident:new', incident);
    bus.emit('incident:update', incident, { kind: 'event', eventKey: 'k' });
    bus.emit('incident:escalated', incident, { step: 1, kind: 'escalate', jurisdiction: 'north', at: 'x' });
    await s.idle();
    expect(got.map((g) => g.headers['x-sharpeyes-event'])).toEqual(['incident:escalated']);
  });

  it('a receiver down past maxAgeSeconds: dead-lettered, counted in the metrics', async () => {
    const { url, server } = await receiver([]);
    await close(server);
    const db = await database();
    const { bus, sender: s, metrics } = sender(db, url, { maxAgeSeconds: 1, maxBackoffMs: 200 });
    bus.emit('incident:new', incident);
    await s.idle();
    const [row] = await s.outbox.list({ limit: 10 });
    expect(row).toMatchObject({ state: 'failed', incident: 'INC-1' });
    expect(row!.attempts).toBeGreaterThan(1);
    expect(row!.lastError).not.toBeNull();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/sharpeyes_webhook_deliveries_total\{outcome="failed"\} 1/);
    expect(text).toMatch(/sharpeyes_webhook_outbox_rows\{state="failed"\} 1/);
  });

  it('once idle, the gauge says what the rows say, however long a count takes', async () => {
    const { url, server } = await receiver([]);
    await close(server);
    const db = await database();
    const { bus, sender: s, metrics } = sender(db, url, { maxAgeSeconds: 1, maxBackoffMs: 200 });
    // Each count lands 200 ms after it was read: an earlier count (still pending) must not land
    // after a later one, and idle() must not resolve before the last.
    const counts = s.outbox.counts.bind(s.outbox);
    s.outbox.counts = async () => {
      const c = await counts();
      await new Promise((r) => setTimeout(r, 200));
      return c;
    };
    bus.emit('incident:new', incident);
    await s.idle();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/sharpeyes_webhook_outbox_rows\{state="failed"\} 1/);
    expect(text).toMatch(/sharpeyes_webhook_outbox_rows\{state="pending"\} 0/);
  });

  it('a delivery pending when the sender stops is sent once by the next sender on the same file', async () => {
    const probe = await receiver([]);
    const port = probe.port;
    await close(probe.server);
    const db = await database();
    const first = sender(db, `http://127.0.0.1:${port}/hook`);
    first.bus.emit('incident:new', incident);
    first.bus.emit('incident:update', incident, { kind: 'event', eventKey: 'k' });
    for (;;) {
      const rows = await first.sender.outbox.list({ limit: 10 });
      if (rows.length === 2 && rows.every((d) => d.attempts >= 2)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await first.sender.stop();
    const pending = await first.sender.outbox.list({ state: 'pending', limit: 10 });
    expect(pending).toHaveLength(2);

    const r = await receiver([], port);
    cleanup.push(() => close(r.server));
    const second = sender(db, r.url);
    await second.sender.idle();
    const ids = r.got.map((g) => g.headers['x-sharpeyes-delivery']);
    expect(ids.sort()).toEqual(pending.map((d) => d.id).sort());
    expect(await second.sender.outbox.counts()).toEqual({ pending: 0, delivered: 2, failed: 0 });
  });

  it.each([
    { attempt: 1, random: 0, wait: 50 },
    { attempt: 1, random: 1, wait: 100 },
    { attempt: 3, random: 0, wait: 200 },
    { attempt: 3, random: 0.5, wait: 300 },
    { attempt: 5, random: 1, wait: 1000 },
    { attempt: 40, random: 0, wait: 500 },
  ])(
    'backoff of attempt $attempt with jitter $random: $wait ms (100 ms doubling, capped at 1 s)',
    ({ attempt, random, wait }) => {
      expect(backoffMs(attempt, 100, 1000, () => random)).toBe(wait);
    },
  );
});
