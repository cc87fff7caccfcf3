import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';
import { api } from '../helpers/service.js';
import { type SmsGateway, type SmsMessage, startSmsGateway } from '../helpers/sms-gateway.js';
import { type Panel, startWorkflowRig, WORKFLOW_CITY_YAML, type WorkflowRig } from './workflow-fixture.js';

/** How long the SMS gateway takes to answer: longer than a notifier's pass interval (1 s). */
const GATEWAY_MS = 1500;

/**
 * Two nodes of a city on one PostgreSQL database, in this process (each a whole service: its own
 * broker, HTTP port and timers): what each node's workers do when both see the same work.
 */
describe('two nodes on one database', () => {
  let a: WorkflowRig;
  let b: WorkflowRig;
  let panel: Panel;
  let gateway: SmsGateway;
  let sms: SmsMessage[] = [];

  beforeAll(async () => {
    gateway = await startSmsGateway({ answerAfterMs: GATEWAY_MS });
    sms = gateway.sent;
    const url = await freshPostgresDatabase();
    const yaml = (node: string) => `${WORKFLOW_CITY_YAML}
notifiers:
  channels:
    - { id: sms, kind: sms, url: "${gateway.url}", token: sms-token-123, timeoutMs: 5000 }
storage: { database: { kind: postgres, url: "${url}", poolSize: 4 } }
cluster: { nodeId: ${node} }
`;
    a = await startWorkflowRig(yaml('node-a'));
    b = await startWorkflowRig(yaml('node-b'));
    panel = await a.panel('panel-1', 'secret-panel-1');
  }, 120_000);
  afterAll(async () => {
    await panel?.end();
    await a?.svc.close();
    await b?.svc.close();
    await gateway?.close();
    await stopSharedPostgres();
  }, 60_000);

  it('a notification is sent once, not once by each node that finds it due', async () => {
    const op = await a.svc.login('op-a', 'operator', 'city');
    await panel.send('n-1', 'panic', '1');
    const list = async () =>
      (await api<{ incidents: Incident[] }>(a.url('/api/incidents?site=shop-1'), op)).body.incidents;
    await expect.poll(async () => (await list()).length).toBe(1);
    const [inc] = await list();
    expect(
      (await a.post(`/api/incidents/${inc!.id}/notify`, op, { contact: 0, channel: 'sms' })).status,
    ).toBe(202);
    const k = a.svc.svc.need('store').k;
    const state = async () =>
      (await k.selectFrom('notifications').select('state').where('incident_id', '=', inc!.id).execute()).map(
        (n) => n.state,
      );
    await expect.poll(state, { timeout: 20_000 }).toEqual(['sent']);
    // Node b's pass (every second) would have found it due while node a's send was under way: its
    // send, if any, has reached the gateway by now.
    await new Promise((r) => setTimeout(r, 2 * GATEWAY_MS));
    expect(sms.map((m) => m.to)).toEqual(['+86 351 555 0101']);
  }, 60_000);

  it('a runaway panel followed by both nodes at the same instant: one ticket, one count, one clearance on the alarm', async () => {
    const bank = await a.panel('panel-2', 'secret-panel-2');
    try {
      await bank.send('r-0', 'panic', '1');
      for (let i = 1; i <= 14; i++) await bank.send(`r-${i}`, 'intrusion', String((i % 3) + 1));
      const k = a.svc.svc.need('store').k;
      const runaway = () => k.selectFrom('runaways').selectAll().where('device', '=', 'panel-2').execute();
      await expect.poll(async () => (await runaway()).length).toBe(1);
      await Promise.all([a.tick(), b.tick()]);
      for (const rig of [a, b]) rig.advance(6 * 60_000);
      await Promise.all([a.tick(), b.tick()]);
      await expect.poll(async () => (await runaway())[0]?.clear_raised).toBe(1);
      const alarm = (await runaway())[0]!.incident_id!;
      const pushes = (
        await k
          .selectFrom('outbox')
          .select('payload')
          .where('incident_id', '=', alarm)
          .where('topic', '=', 'incident:update')
          .orderBy('seq')
          .execute()
      )
        .map(
          (r) =>
            (JSON.parse(r.payload) as { change: { what?: string; detail?: Record<string, unknown> } }).change,
        )
        .filter((c) => c.what === 'runaway')
        .map((c) => (c.detail?.['clearedAt'] ? 'cleared' : 'count'));
      expect(pushes).toEqual(['count', 'cleared']);
      const tickets = await k
        .selectFrom('incidents')
        .select('state')
        .where('site', '=', 'bank-2')
        .where('kind', '=', 'maintenance')
        .execute();
      expect(tickets).toEqual([{ state: 'resolved' }]);
    } finally {
      await bank.end();
    }
  }, 60_000);
});
