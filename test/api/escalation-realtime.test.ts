import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Escalation, Incident } from '../../src/core/incident-types.js';
import { ev } from '../core/core-fixture.js';
import { nextEvent, opsClient, startTestService, type TestService } from '../helpers/service.js';
import { API_CITY_YAML } from './api-fixture.js';

const SECRET = 'dispatch-system-shared-secret';

/** The running service: escalation reaches the parent node's room, and a signed webhook goes out. */
describe('escalation and webhooks in the running service', () => {
  let svc: TestService;
  let hook: Server;
  const received: { event: string; body: string; signature: string }[] = [];

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push({
          event: String(req.headers['x-sharpeyes-event']),
          body,
          signature: String(req.headers['x-sharpeyes-signature']),
        });
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const port = (hook.address() as AddressInfo).port;
    svc = await startTestService({
      yaml: `${API_CITY_YAML}
escalation:
  checkSeconds: 0.1
  P1: [{ afterSeconds: 1, action: escalate, to: parent }]
webhooks:
  - { url: "http://127.0.0.1:${port}/dispatch", secret: ${SECRET}, events: [incident:new, incident:escalated] }
`,
    });
  });
  afterAll(async () => {
    await svc?.close();
    await new Promise<void>((r) => hook.close(() => r()));
  });

  it('an unacknowledged P1 is escalated to the parent node room only, and sent to the webhook', async () => {
    const station = await opsClient(svc.httpUrl, await svc.login('op-north', 'operator', 'north'));
    const grid = await opsClient(svc.httpUrl, await svc.login('op-grid', 'operator', 'north-grid-1'));
    const other = await opsClient(svc.httpUrl, await svc.login('op-south', 'operator', 'south'));
    const wrong: unknown[] = [];
    grid.on('incident:escalated', (i: unknown) => wrong.push(i));
    other.on('incident:escalated', (i: unknown) => wrong.push(i));

    const escalated = new Promise<[Incident, Escalation]>((resolve) =>
      station.once('incident:escalated', (i: Incident, e: Escalation) => resolve([i, e])),
    );
    const update = nextEvent<Incident>(station, 'incident:update', (i) => i.escalations.length > 0);
    const { incident } = await svc.svc
      .need('core')
      .ingest(ev('panic', { site: 'shop-1', device: 'panel-1' }));
    const [inc, esc] = await escalated;
    expect(inc.id).toBe(incident);
    expect(esc).toMatchObject({ step: 1, kind: 'escalate', jurisdiction: 'north' });
    expect((await update).escalations).toMatchObject([{ step: 1, jurisdiction: 'north' }]);

    await expect.poll(() => received.map((r) => r.event)).toEqual(['incident:new', 'incident:escalated']);
    for (const r of received) {
      expect(r.signature).toBe(`sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`);
      expect(JSON.parse(r.body).data.incident.id).toBe(incident);
    }
    expect(wrong).toEqual([]);
    for (const s of [station, grid, other]) s.close();
  });
});
