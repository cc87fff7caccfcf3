import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Bus } from '../../src/bus.js';
import { webhookSchema } from '../../src/config/sections/webhooks.js';
import type { Incident } from '../../src/core/incident-types.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { WebhookSender } from '../../src/webhooks/webhook-sender.js';

const SECRET = 'a-webhook-secret-of-some-length';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver that answers each request with the next status of `script` (then 200). */
async function receiver(script: number[]): Promise<{ url: string; got: Received[]; server: Server }> {
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
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, server };
}

const incident = { id: 'INC-1', site: 'shop-1', priority: 1, state: 'new' } as unknown as Incident;

describe('signed webhooks', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup(script: number[], hook: Record<string, unknown> = {}) {
    const r = await receiver(script);
    cleanup.push(() => new Promise<void>((res) => r.server.close(() => res())));
    const bus = new Bus();
    const sender = new WebhookSender(
      [webhookSchema.parse({ url: r.url, secret: SECRET, initialBackoffMs: 10, ...hook })],
      { bus, log: silentLogger, metrics: new Metrics({ defaults: false }) },
    );
    sender.start();
    cleanup.push(() => sender.stop());
    return { ...r, bus, sender };
  }

  it.each([
    { script: [], attempts: 1, what: 'delivered at once' },
    { script: [503, 500], attempts: 3, what: 'retried after server errors' },
    { script: [429], attempts: 2, what: 'retried after 429' },
    { script: [400], attempts: 1, what: 'not retried after a 4xx refusal' },
    { script: [503, 503, 503, 503], attempts: 3, what: 'given up after maxAttempts' },
  ])('$what', async ({ script, attempts }) => {
    const { bus, sender, got } = await setup(script, { maxAttempts: 3 });
    bus.emit('incident:new', incident);
    await sender.idle();
    expect(got).toHaveLength(attempts);
    for (const [i, r] of got.entries()) {
      const expected = `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`;
      expect(r.headers['x-sharpeyes-signature']).toBe(expected);
      expect(r.headers['x-sharpeyes-attempt']).toBe(String(i + 1));
      expect(r.headers['x-sharpeyes-event']).toBe('incident:new');
      expect(r.headers['x-sharpeyes-delivery']).toBe(got[0]?.headers['x-sharpeyes-delivery']);
      expect(JSON.parse(r.body)).toMatchObject({
        event: 'incident:new',
        data: { incident: { id: 'INC-1' } },
      });
    }
  });

  it('a body altered in transit no longer matches the signature', async () => {
    const { bus, sender, got } = await setup([]);
    bus.emit('incident:escalated', incident, { step: 1, kind: 'escalate', jurisdiction: 'north', at: 'x' });
    await sender.idle();
    const tampered = got[0]!.body.replace('north', 'south');
    const sig = `sha256=${createHmac('sha256', SECRET).update(tampered).digest('hex')}`;
    expect(got[0]?.headers['x-sharpeyes-signature']).not.toBe(sig);
  });

  it('sends only the configured events', async () => {
    const { bus, sender, got } = await setup([], { events: ['incident:escalated'] });
    bus.emit('incident:new', incident);
    bus.emit('incident:update', incident, { kind: 'event', eventKey: 'k' });
    bus.emit('incident:escalated', incident, { step: 1, kind: 'escalate', jurisdiction: 'north', at: 'x' });
    await sender.idle();
    expect(got.map((g) => g.headers['x-sharpeyes-event'])).toEqual(['incident:escalated']);
  });

  it('retries when nobody listens, then gives up', async () => {
    const { url, server } = await receiver([]);
    await new Promise<void>((r) => server.close(() => r()));
    const bus = new Bus();
    const metrics = new Metrics({ defaults: false });
    const sender = new WebhookSender(
      [webhookSchema.parse({ url, secret: SECRET, initialBackoffMs: 5, maxAttempts: 2 })],
      { bus, log: silentLogger, metrics },
    );
    sender.start();
    cleanup.push(() => sender.stop());
    bus.emit('incident:new', incident);
    await sender.idle();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/sharpeyes_webhook_deliveries_total\{outcome="retry"\} 2/);
    expect(text).toMatch(/sharpeyes_webhook_deliveries_total\{outcome="failed"\} 1/);
  });
});
