import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import type { Storm } from '../../src/workflow/storm/storm-store.js';
import { api } from '../helpers/service.js';
import { type Err, type Panel, startWorkflowRig, type WorkflowRig } from './workflow-fixture.js';

describe('storm mode: a supervisor holds or demotes categories for a jurisdiction node', () => {
  let rig: WorkflowRig;
  let shop: Panel;
  let bank: Panel;
  let sup: string;
  let op: string;

  beforeAll(async () => {
    rig = await startWorkflowRig();
    sup = await rig.svc.login('sup', 'supervisor', 'city');
    op = await rig.svc.login('op', 'operator', 'city');
    shop = await rig.panel('panel-1', 'secret-panel-1');
    bank = await rig.panel('panel-2', 'secret-panel-2');
  });
  afterAll(async () => {
    await shop?.end();
    await bank?.end();
    await rig?.svc.close();
  });

  const incidents = async (site: string) =>
    (await api<{ incidents: Incident[] }>(rig.url(`/api/incidents?site=${site}`), sup)).body.incidents;

  it.each([
    [{ node: 'north', categories: ['trouble'], action: 'hold', minutes: 5, reason: '停电' }, 'op', 403],
    [{ node: 'nowhere', categories: ['trouble'], action: 'hold', minutes: 5, reason: '停电' }, 'sup', 404],
    [{ node: 'north', categories: ['panic'], action: 'hold', minutes: 5, reason: '停电' }, 'sup', 400],
    [
      { node: 'north', categories: ['trouble'], action: 'hold', minutes: 100_000, reason: '停电' },
      'sup',
      400,
    ],
  ])('refuses %j by %s with %i', async (body, who, status) => {
    const r = await rig.post<Err>('/api/storms', who === 'op' ? op : sup, body);
    expect(r.status).toBe(status);
  });

  it('holds troubles and unconfirmed intrusions in the north, demotes intrusions in the south; panics stay on top; the end releases what was held', async () => {
    const hold = await rig.post<Storm>('/api/storms', sup, {
      node: 'north',
      categories: ['trouble', 'unconfirmed_intrusion'],
      action: 'hold',
      minutes: 60,
      reason: '区域停电',
    });
    expect(hold.status).toBe(201);
    const demote = await rig.post<Storm>('/api/storms', sup, {
      node: 'south',
      categories: ['unconfirmed_intrusion'],
      action: 'demote',
      minutes: 60,
      reason: '区域停电',
    });
    expect(demote.status).toBe(201);

    await shop.send('s-1', 'intrusion', '1');
    await shop.send('s-2', 'trouble');
    await bank.send('s-3', 'intrusion', '1');
    await expect.poll(async () => (await incidents('bank-2')).map((i) => i.priority)).toEqual([4]);
    expect(await incidents('shop-1')).toEqual([]);

    await bank.send('s-4', 'panic', '2'); // joins the demoted intrusion and raises it to P1
    await expect.poll(async () => (await incidents('bank-2')).map((i) => i.priority)).toEqual([1]);

    const end = await api<Storm & { held: number }>(rig.url(`/api/storms/${hold.body.id}`), sup, {
      method: 'DELETE',
    });
    expect(end.status).toBe(200);
    expect(end.body).toMatchObject({ endedBy: 'sup', held: 2 });
    await expect
      .poll(async () => (await incidents('shop-1')).map((i) => [i.kind, i.priority]).sort())
      .toEqual([
        ['alarm', 2],
        ['maintenance', 4],
      ]);
    const again = await api<Err>(rig.url(`/api/storms/${hold.body.id}`), sup, { method: 'DELETE' });
    expect(again.status).toBe(409);
  });
});
