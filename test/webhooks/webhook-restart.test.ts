import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebhookSender } from '../../src/webhooks/webhook-sender.js';
import { api, startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

const SECRET = 'a-webhook-secret-of-some-length';

async function listen(status: number, port = 0) {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { server, got, port: (server.address() as AddressInfo).port };
}
const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

describe('webhook deliveries survive a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-webhook-restart-'));
  const servers: Server[] = [];
  let running: TestService | undefined;
  afterAll(async () => {
    await running?.close();
    for (const s of servers) await close(s);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('receiver down, service restarts, receiver up: exactly one delivery per change; refusals dead-lettered', async () => {
    const probe = await listen(200);
    const port = probe.port;
    await close(probe.server);
    const refusing = await listen(400);
    servers.push(refusing.server);
    const yaml = `${TEST_CITY_YAML}
webhooks:
  - { url: "http://127.0.0.1:${port}/dispatch", secret: ${SECRET}, initialBackoffMs: 20, maxBackoffMs: 100 }
  - { url: "http://127.0.0.1:${refusing.port}/refuses", secret: ${SECRET}, events: ["incident:new"] }
`;
    // First run: two changes while the receiver is down.
    const first = await startTestService({ yaml, dataDir, keepData: true });
    running = first;
    const core = first.svc.need('core');
    const now = new Date().toISOString();
    const out = await core.ingest({
      key: 'panel:panel-1:p-1',
      source: 'panel',
      device: 'panel-1',
      site: 'shop-1',
      type: 'panic',
      ts: now,
      receivedAt: now,
    });
    await core.transition(out.incident!, 'acknowledged', 'op-north');
    const sender1 = first.svc.part<WebhookSender>('webhooks');
    const down = () => sender1.outbox.list({ state: 'pending', limit: 10 });
    for (;;) {
      const rows = await down();
      if (rows.length >= 2 && !rows.some((d) => d.attempts === 0)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const pending = await down();
    const changes = pending.map((d) => d.id);
    // The panic and its acknowledgement (with issue 17, the acknowledgement also takes the incident:
    // a workflow update of its own), each delivered once after the restart.
    expect(pending.map((d) => d.event)).toContain('incident:new');
    expect(pending.filter((d) => d.event === 'incident:update').length).toBeGreaterThanOrEqual(1);
    await first.stop();
    running = undefined;

    // Second run on the same data, receiver up.
    const receiver = await listen(200, port);
    servers.push(receiver.server);
    const second = await startTestService({ yaml, dataDir });
    running = second;
    await second.svc.part<WebhookSender>('webhooks').idle();

    const ids = receiver.got.map((g) => String(g.headers['x-sharpeyes-delivery']));
    expect(ids.sort()).toEqual([...changes].sort());
    const bodies = receiver.got.map(
      (g) => JSON.parse(g.body) as { id: string; event: string; data: { incident: { id: string } } },
    );
    expect(bodies.map((b) => b.event).sort()).toEqual(pending.map((d) => d.event).sort());
    for (const b of bodies) {
      expect(b.data.incident.id).toBe(out.incident);
      expect(ids).toContain(b.id);
    }
    expect(refusing.got).toHaveLength(1);

    const admin = await second.login('admin-city', 'admin', 'city');
    const failed = await api<{ deliveries: { state: string; incident: string; lastError: string }[] }>(
      `${second.httpUrl}/api/webhooks/deliveries?state=failed`,
      admin,
    );
    expect(failed.status).toBe(200);
    expect(failed.body.deliveries).toEqual([
      expect.objectContaining({ state: 'failed', incident: out.incident, lastError: 'HTTP 400' }),
    ]);
    const delivered = await api<{ deliveries: unknown[] }>(
      `${second.httpUrl}/api/webhooks/deliveries?state=delivered`,
      admin,
    );
    expect(delivered.body.deliveries).toHaveLength(changes.length);

    const southAdmin = await second.login('admin-south', 'admin', 'south');
    const foreign = await api<{ deliveries: unknown[] }>(
      `${second.httpUrl}/api/webhooks/deliveries`,
      southAdmin,
    );
    expect(foreign).toEqual({ status: 200, body: { deliveries: [] } });
    const operator = await second.login('op-city', 'operator', 'city');
    expect((await api(`${second.httpUrl}/api/webhooks/deliveries`, operator)).status).toBe(403);
    expect((await api(`${second.httpUrl}/api/webhooks/deliveries?state=lost`, admin)).status).toBe(400);

    const metrics = await (await fetch(`${second.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/sharpeyes_webhook_outbox_rows\{state="failed"\} 1/);
    expect(metrics).toMatch(
      new RegExp(`sharpeyes_webhook_deliveries_total\\{outcome="delivered"\\} ${changes.length}\\b`),
    );
  });
});
