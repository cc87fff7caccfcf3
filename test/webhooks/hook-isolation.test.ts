import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Bus } from '../../src/bus.js';
import { webhookSchema } from '../../src/config/sections/webhooks.js';
import type { Incident } from '../../src/core/incident-types.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { WebhookSender } from '../../src/webhooks/webhook-sender.js';

const SECRET = 'a-webhook-secret-of-some-length';
const incident = (id: string) =>
  ({ id, site: 'shop-1', jurisdiction: 'north', priority: 1, state: 'new' }) as unknown as Incident;

/** Accepts connections and never answers: a receiver that blackholes. Records when each socket closed. */
async function blackhole(): Promise<{ url: string; server: NetServer; opened: number[]; closed: number[] }> {
  const opened: number[] = [];
  const closed: number[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    opened.push(Date.now());
    sockets.add(s);
    s.on('data', () => undefined);
    s.on('close', () => {
      closed.push(Date.now());
      sockets.delete(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server, opened, closed };
}

async function healthy(): Promise<{ url: string; server: Server; got: { at: number; incident: string }[] }> {
  const got: { at: number; incident: string }[] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      got.push({
        at: Date.now(),
        incident: (JSON.parse(body) as { data: { incident: { id: string } } }).data.incident.id,
      });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server, got };
}

describe('each webhook has its own worker', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('a receiver that blackholes does not delay the others: they get every change while its first attempt still hangs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-hooks-'));
    const store = new SqliteStore(join(dir, 'sharpeyes.db'));
    cleanup.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const hole = await blackhole();
    const good = await healthy();
    cleanup.push(() => new Promise<void>((r) => hole.server.close(() => r())));
    cleanup.push(() => new Promise<void>((r) => good.server.close(() => r())));
    const bus = new Bus();
    const sender = new WebhookSender(
      [
        webhookSchema.parse({ url: hole.url, secret: SECRET, timeoutMs: 3000, maxAttempts: 1 }),
        webhookSchema.parse({ url: good.url, secret: SECRET, timeoutMs: 3000 }),
      ],
      { k: store.k, bus, log: silentLogger, metrics: new Metrics({ defaults: false }) },
    );
    await sender.start();
    cleanup.push(() => sender.stop());

    sender.send('incident:new', incident('INC-1'), {});
    // The blackhole now holds its worker: its first attempt waits for the 3 s timeout.
    await expect.poll(() => hole.opened.length).toBe(1);
    for (let i = 2; i <= 5; i++) sender.send('incident:new', incident(`INC-${i}`), {});
    await expect.poll(() => good.got.length, { timeout: 10_000 }).toBe(5);
    // Every change reached the healthy receiver, in order, before the blackhole's first attempt ended.
    expect(good.got.map((g) => g.incident)).toEqual(['INC-1', 'INC-2', 'INC-3', 'INC-4', 'INC-5']);
    expect(hole.closed).toEqual([]);
    await expect.poll(() => hole.closed.length, { timeout: 10_000 }).toBe(1);
    expect(good.got.at(-1)!.at).toBeLessThan(hole.closed[0]!);
  });
});
