import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentChange } from '../../src/bus.js';
import type { Incident } from '../../src/core/incident-types.js';
import type { WorkflowFields } from '../../src/workflow/workflow-view.js';
import { api, nextEvent, opsClient } from '../helpers/service.js';
import { type Panel, startWorkflowRig, type WorkflowRig } from './workflow-fixture.js';

type Inc = Incident & WorkflowFields;

describe('confirmation rules from practice, and the forward to the station desk', () => {
  let rig: WorkflowRig;
  let panel: Panel;
  let op: string;
  let desk: string;
  let n = 0;

  beforeAll(async () => {
    rig = await startWorkflowRig();
    op = await rig.svc.login('op-a', 'operator', 'city');
    desk = await rig.svc.login('desk-north', 'operator', 'north');
    panel = await rig.panel('panel-1', 'secret-panel-1');
  });
  afterAll(async () => {
    await panel?.end();
    await rig?.svc.close();
  });

  const alarm = async (type: string, zone = '1') => {
    const socket = await opsClient(rig.svc.httpUrl, op);
    const seen = nextEvent<Inc>(socket, 'incident:new');
    await panel.send(`c-${++n}`, type, zone);
    const inc = await seen;
    socket.close();
    return inc;
  };
  const get = async (id: string) => (await api<Inc>(rig.url(`/api/incidents/${id}`), op)).body;
  const close = (id: string) => rig.post(`/api/incidents/${id}/false-alarm`, op);

  it('a panic whose call-back is not answered is confirmed and forwarded to the north station desk', async () => {
    const inc = await alarm('panic');
    const deskSocket = await opsClient(rig.svc.httpUrl, desk);
    const fwd = new Promise<IncidentChange>((resolve) =>
      deskSocket.on('incident:update', (_i: Inc, c: IncidentChange) => {
        if (c.kind === 'workflow' && c.what === 'forward') resolve(c);
      }),
    );
    const r = await rig.post<Inc>(`/api/incidents/${inc.id}/calls`, op, { contact: 0, result: 'no_answer' });
    expect(r.body.confirmation).toMatchObject({ rule: 'panic-callback', kind: 'panic_callback', by: 'op-a' });
    expect(r.body.forward).toMatchObject({ station: 'north', by: 'op-a' });
    expect(r.body.plan?.steps.find((s) => s.id === 'forward-station')).toMatchObject({
      outcome: 'forwarded',
      derived: true,
    });
    const change = await fwd;
    expect(change).toMatchObject({
      detail: {
        station: 'north',
        confirmation: 'panic-callback',
        calls: [{ name: '王店长', result: 'no_answer' }],
      },
    });
    expect(
      (change as unknown as { detail: { events: { type: string }[] } }).detail.events.map((e) => e.type),
    ).toEqual(['panic']);
    deskSocket.close();
    await close(inc.id);
  });

  it('a panic answered on the call-back is not confirmed by it', async () => {
    const inc = await alarm('panic');
    const r = await rig.post<Inc>(`/api/incidents/${inc.id}/calls`, op, { contact: 0, result: 'reached' });
    await rig.post<Inc>(`/api/incidents/${inc.id}/calls`, op, { contact: 1, result: 'no_answer' });
    expect(r.body.confirmation).toBeUndefined();
    expect((await get(inc.id)).confirmation).toBeUndefined();
    await close(inc.id);
  });

  it('a second intrusion zone: the core confirms, the incident names the rule two-zones and is forwarded', async () => {
    const inc = await alarm('intrusion', '1');
    expect(inc.priority).toBe(2);
    await panel.send(`c-${++n}`, 'intrusion', '2');
    await expect
      .poll(async () => (await get(inc.id)).confirmation)
      .toMatchObject({ rule: 'two-zones', kind: 'zones', by: 'system' });
    const now = await get(inc.id);
    expect([now.priority, now.confirmed, now.forward?.station]).toEqual([1, true, 'north']);
    await close(inc.id);
  });

  it('video review that sees a person confirms an intrusion (P2 → P1)', async () => {
    const inc = await alarm('intrusion', '1');
    const r = await rig.post<Inc>(`/api/incidents/${inc.id}/steps/review-video`, op, {
      outcome: 'person_seen',
      note: '前门有人翻越',
    });
    expect(r.body).toMatchObject({
      priority: 1,
      confirmed: true,
      confirmation: { rule: 'video-person', kind: 'video_person' },
    });
    await close(inc.id);
  });
});
