import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import type { WorkflowFields } from '../../src/workflow/workflow-view.js';
import { api, nextEvent, opsClient } from '../helpers/service.js';
import { type Err, type Panel, startWorkflowRig, type WorkflowRig } from './workflow-fixture.js';

type Inc = Incident & WorkflowFields;

describe('action plans, the resolve guard, calls and ownership (real broker, REST)', () => {
  let rig: WorkflowRig;
  let panel: Panel;
  let op: string;
  let op2: string;
  let sup: string;
  let n = 0;

  beforeAll(async () => {
    rig = await startWorkflowRig();
    op = await rig.svc.login('op-a', 'operator', 'north');
    op2 = await rig.svc.login('op-b', 'operator', 'north');
    sup = await rig.svc.login('sup-city', 'supervisor', 'city');
    panel = await rig.panel('panel-1', 'secret-panel-1');
  });
  afterAll(async () => {
    await panel?.end();
    await rig?.svc.close();
  });

  /** A panel event through the broker; the incident it opened, as the operator's socket saw it. */
  const alarm = async (type: string, zone = '1') => {
    const socket = await opsClient(rig.svc.httpUrl, op);
    const seen = nextEvent<Inc>(socket, 'incident:new');
    await panel.send(`wf-${++n}`, type, zone);
    const inc = await seen;
    socket.close();
    return inc;
  };
  const get = async (id: string) => (await api<Inc>(rig.url(`/api/incidents/${id}`), op)).body;

  it.each([
    ['panic', 'panic-duress', ['review-video', 'call-site', 'forward-station', 'dispatch', 'notify-owner']],
    ['fire', 'fire', ['call-site', 'forward-station', 'review-video', 'notify-owner']],
    [
      'intrusion',
      'intrusion',
      ['review-video', 'call-site', 'call-keyholder', 'forward-station', 'dispatch', 'notify-owner'],
    ],
  ])('a %s carries the built-in plan %s, on the socket and over REST', async (type, name, steps) => {
    const inc = await alarm(type);
    expect(inc.plan?.name).toBe(name);
    expect(inc.plan?.steps.map((s) => s.id)).toEqual(steps);
    expect((await get(inc.id)).plan?.steps.every((s) => s.outcome === undefined)).toBe(true);
    // Close it (as a false alarm: no steps needed) so the next alarm opens its own incident.
    expect((await rig.post(`/api/incidents/${inc.id}/false-alarm`, sup)).status).toBe(200);
  });

  it('refuses to resolve with required steps open (409 naming them); steps and calls fill them', async () => {
    const inc = await alarm('panic');
    expect((await rig.post<Inc>(`/api/incidents/${inc.id}/ack`, op)).body.owner?.username).toBe('op-a');
    const refused = await rig.post<Err>(`/api/incidents/${inc.id}/resolve`, op);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('steps_incomplete');
    expect(refused.body.error.data?.['steps']).toEqual(['call-site', 'forward-station']);

    // Bad outcome and unknown step are 4xx and change nothing.
    const bad = await rig.post<Err>(`/api/incidents/${inc.id}/steps/call-site`, op, { outcome: 'done' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'bad_outcome']);
    const unknown = await rig.post<Err>(`/api/incidents/${inc.id}/steps/nope`, op, { outcome: 'done' });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found']);

    // Down the call list: the manager is busy, the keyholder is reached.
    const c1 = await rig.post<Inc>(`/api/incidents/${inc.id}/calls`, op, { contact: 0, result: 'busy' });
    expect(c1.status).toBe(201);
    expect(c1.body.plan?.steps.find((s) => s.id === 'call-site')).toMatchObject({
      outcome: 'busy',
      by: 'op-a',
    });
    await rig.post(`/api/incidents/${inc.id}/calls`, op, {
      contact: 0,
      result: 'reached',
      note: '店长确认误报',
    });
    const noContact = await rig.post<Err>(`/api/incidents/${inc.id}/calls`, op, {
      contact: 7,
      result: 'reached',
    });
    expect([noContact.status, noContact.body.error.code]).toEqual([400, 'bad_contact']);
    const step = await rig.post<Inc>(`/api/incidents/${inc.id}/steps/forward-station`, op, {
      outcome: 'forwarded',
      note: '已转报北站',
    });
    expect(step.body.calls.map((c) => [c.name, c.result])).toEqual([
      ['王店长', 'busy'],
      ['王店长', 'reached'],
    ]);
    expect(step.body.callList.map((c) => c.role)).toEqual(['manager', 'keyholder']);
    const done = await rig.post<Inc>(`/api/incidents/${inc.id}/resolve`, op, { note: 'ok' });
    expect(done.status).toBe(200);
    expect(done.body.state).toBe('resolved');

    const actions = async () =>
      (
        await api<{ entries: { action: string }[] }>(rig.url(`/api/audit?target=incident:${inc.id}`), sup)
      ).body.entries.map((e) => e.action);
    await expect
      .poll(actions)
      .toEqual(expect.arrayContaining(['incident.call', 'incident.step', 'incident.owner']));
  });

  it('a supervisor overrides open steps with a reason; an operator may not', async () => {
    const inc = await alarm('fire');
    await rig.post(`/api/incidents/${inc.id}/ack`, sup);
    const byOp = await rig.post<Err>(`/api/incidents/${inc.id}/resolve`, op, {
      override: { reason: 'drill' },
    });
    expect(byOp.status).toBe(403);
    const short = await rig.post<Err>(`/api/incidents/${inc.id}/resolve`, sup, { override: { reason: 'x' } });
    expect(short.status).toBe(400);
    const ok = await rig.post<Inc>(`/api/incidents/${inc.id}/resolve`, sup, {
      override: { reason: '消防演练，现场已确认' },
    });
    expect(ok.status).toBe(200);
    const overrideEntry = async () =>
      (
        await api<{ entries: { action: string; detail: Record<string, unknown> }[] }>(
          rig.url(`/api/audit?target=incident:${inc.id}`),
          sup,
        )
      ).body.entries.find((e) => e.action === 'incident.override')?.detail;
    // The audit sink reads the outbox at its own pace.
    await expect.poll(overrideEntry).toEqual({
      steps: ['call-site', 'forward-station'],
      reason: '消防演练，现场已确认',
    });
  });

  it('ownership: the holder acts, a second operator is refused until taking over; new alarms of the site follow the holder', async () => {
    const inc = await alarm('intrusion', '1');
    const took = await rig.post<Inc>(`/api/incidents/${inc.id}/take`, op);
    expect(took.body.owner).toMatchObject({ username: 'op-a', via: 'take' });

    const second = await rig.post<Err>(`/api/incidents/${inc.id}/ack`, op2);
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'owned_by_other', data: { owner: 'op-a' } });
    const take2 = await rig.post<Err>(`/api/incidents/${inc.id}/take`, op2);
    expect([take2.status, take2.body.error.code]).toEqual([409, 'owned_by_other']);

    // A second incident of the same site (alarms join the open one: a trouble opens a ticket) goes
    // to the holder.
    const next = await alarm('trouble', '2');
    expect(next.kind).toBe('maintenance');
    expect(next.id).not.toBe(inc.id);
    expect(next.owner).toMatchObject({ username: 'op-a', via: 'site' });

    const over = await rig.post<Inc>(`/api/incidents/${inc.id}/take`, op2, { takeover: true });
    expect(over.body.owner).toMatchObject({ username: 'op-b', via: 'takeover' });
    expect((await rig.post(`/api/incidents/${inc.id}/ack`, op2)).status).toBe(200);
    expect((await rig.post<Err>(`/api/incidents/${inc.id}/ack`, op)).status).toBe(409);

    // The queue shows who holds what.
    const q = await api<{ incidents: Inc[] }>(rig.url('/api/incidents?open=true&site=shop-1'), op);
    const holders = Object.fromEntries(q.body.incidents.map((i) => [i.id, i.owner?.username]));
    expect(holders).toMatchObject({ [inc.id]: 'op-b', [next.id]: 'op-a' });
    for (const id of [inc.id, next.id]) {
      await rig.post(`/api/incidents/${id}/take`, sup, { takeover: true });
      await rig.post(`/api/incidents/${id}/false-alarm`, sup);
    }
  });
});
