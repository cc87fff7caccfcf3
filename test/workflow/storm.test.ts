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

  it('two supervisors answering one outage start one storm: the second is told whose is on; another area, category or action is a storm of its own', async () => {
    const sup2 = await rig.svc.login('sup-2', 'supervisor', 'city');
    const body = {
      node: 'north',
      categories: ['video_loss'],
      action: 'demote',
      minutes: 60,
      reason: '大面积视频中断',
    };
    const first = await rig.post<Storm>('/api/storms', sup, body);
    expect(first.status).toBe(201);
    const second = await rig.post<Err & { error: { data: Record<string, unknown> } }>(
      '/api/storms',
      sup2,
      body,
    );
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({
      code: 'storm_in_force',
      data: { storm: first.body.id, by: 'sup', endsAt: first.body.endsAt },
    });
    // Nothing was stored or audited for the refused one.
    const rows = await rig.svc.svc
      .need('store')
      .k.selectFrom('storms')
      .selectAll()
      .where('node', '=', 'north')
      .execute();
    expect(rows.filter((r) => JSON.parse(r.categories).includes('video_loss'))).toHaveLength(1);
    // Not the same storm: holding instead of demoting, another category, another area.
    const others: Storm[] = [];
    for (const other of [
      { ...body, action: 'hold' },
      { ...body, categories: ['video_loss', 'tamper'] },
      { ...body, node: 'south' },
    ]) {
      const r = await rig.post<Storm>('/api/storms', sup2, other);
      expect(r.status).toBe(201);
      others.push(r.body);
    }
    // The first ends; the one demoting video losses and tampers still covers it; once that ends too,
    // it can be started again.
    const end = (id: string) => api(rig.url(`/api/storms/${id}`), sup, { method: 'DELETE' });
    await end(first.body.id);
    expect((await rig.post<Err>('/api/storms', sup2, body)).status).toBe(409);
    await end(others[1]!.id);
    expect((await rig.post<Storm>('/api/storms', sup2, body)).status).toBe(201);
  });
});
