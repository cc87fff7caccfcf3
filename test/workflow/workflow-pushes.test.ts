import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Escalation, Incident } from '../../src/core/incident-types.js';
import type { WorkflowFields } from '../../src/workflow/workflow-view.js';
import { opsClient } from '../helpers/service.js';
import { type Panel, startWorkflowRig, WORKFLOW_CITY_YAML, type WorkflowRig } from './workflow-fixture.js';

type Inc = Incident & WorkflowFields;
interface Delivery {
  event: string;
  data: { incident: Inc; change?: { kind: string; what?: string } };
}

/**
 * The webhooks and the `incident:escalated` push carry the workflow fields as REST and the
 * `incident:new` / `incident:update` pushes do: the plan and its step outcomes, the holder, the call
 * list and calls, the confirmation (issue 17).
 */
describe('workflow fields on webhooks and on incident:escalated', () => {
  let rig: WorkflowRig;
  let panel: Panel;
  let hook: Server;
  const received: Delivery[] = [];

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push(JSON.parse(body) as Delivery);
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const port = (hook.address() as AddressInfo).port;
    rig = await startWorkflowRig(`${WORKFLOW_CITY_YAML}
escalation:
  checkSeconds: 0.1
  P1: [{ afterSeconds: 3, action: escalate, to: parent }]
webhooks:
  - { url: "http://127.0.0.1:${port}/dispatch", secret: dispatch-system-shared-secret, events: [incident:new, incident:update, incident:escalated] }
`);
    panel = await rig.panel('panel-1', 'secret-panel-1');
  });
  afterAll(async () => {
    await panel?.end();
    await rig?.svc.close();
    await new Promise<void>((r) => hook.close(() => r()));
  });

  it('a panic taken and called back without answer: every webhook and the escalation push carry plan, owner, calls and confirmation', async () => {
    const op = await rig.svc.login('op-a', 'operator', 'north-grid-1');
    const station = await opsClient(rig.svc.httpUrl, await rig.svc.login('op-north', 'operator', 'north'));
    const escalated = new Promise<[Inc, Escalation]>((resolve) =>
      station.once('incident:escalated', (i: Inc, e: Escalation) => resolve([i, e])),
    );
    await panel.send('wp-1', 'panic', '1');
    await expect.poll(() => received.find((d) => d.event === 'incident:new')).toBeDefined();
    const opened = received.find((d) => d.event === 'incident:new')!.data.incident;
    expect(opened).toMatchObject({
      plan: { name: 'panic-duress' },
      callList: [{ name: '王店长' }, { name: '李钥匙' }],
      calls: [],
    });
    const id = opened.id;
    expect((await rig.post(`/api/incidents/${id}/take`, op)).status).toBe(200);
    expect(
      (await rig.post(`/api/incidents/${id}/calls`, op, { contact: 0, result: 'no_answer' })).status,
    ).toBe(201);

    const [inc, esc] = await escalated;
    expect(esc).toMatchObject({ step: 1, jurisdiction: 'north' });
    expect(inc).toMatchObject({
      id,
      plan: { name: 'panic-duress' },
      owner: { username: 'op-a' },
      calls: [{ name: '王店长', result: 'no_answer', by: 'op-a' }],
      confirmation: { rule: 'panic-callback', kind: 'panic_callback' },
    });
    expect(inc.plan?.steps.find((s) => s.id === 'call-site')).toMatchObject({
      outcome: 'no_answer',
      by: 'op-a',
    });

    await expect.poll(() => received.find((d) => d.event === 'incident:escalated')).toBeDefined();
    const hooked = received.find((d) => d.event === 'incident:escalated')!.data.incident;
    expect(hooked).toMatchObject({
      plan: { name: 'panic-duress' },
      owner: { username: 'op-a' },
      calls: [{ name: '王店长', result: 'no_answer' }],
      confirmation: { rule: 'panic-callback' },
    });
    const took = received.find((d) => d.event === 'incident:update' && d.data.change?.what === 'owner');
    expect(took?.data.incident.owner).toMatchObject({ username: 'op-a' });
    station.close();
  });
});
