import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentChange } from '../../src/bus.js';
import type { Incident } from '../../src/core/incident-types.js';
import { api, opsClient } from '../helpers/service.js';
import { type Panel, startWorkflowRig, type WorkflowRig } from './workflow-fixture.js';

/**
 * A rig of its own with bank-2's panel connected and a south operator logged in, for the tests of one
 * describe block (registers its hooks there); the panel's view and the bank's incidents as that operator.
 */
function bankPanelRig() {
  const t = {} as { rig: WorkflowRig; panel: Panel; op: string };
  beforeAll(async () => {
    t.rig = await startWorkflowRig();
    t.op = await t.rig.svc.login('op-s', 'operator', 'south');
    t.panel = await t.rig.panel('panel-2', 'secret-panel-2');
  });
  afterAll(async () => {
    await t.panel?.end();
    await t.rig?.svc.close();
  });
  const panelView = async () =>
    (await api<{ id: string; runaway: boolean }>(t.rig.url('/api/panels/panel-2'), t.op)).body;
  const incidents = async () =>
    (await api<{ incidents: Incident[] }>(t.rig.url('/api/incidents?site=bank-2'), t.op)).body.incidents;
  return { t, panelView, incidents };
}

/** The fixture's runaway settings: more than 10 events in 60 s; calm at most 2 in 300 s. */
describe('runaway panels (real broker, REST, fake clock for clearance)', () => {
  const { t, panelView, incidents } = bankPanelRig();

  it('past the rate: counted on the one incident, marked runaway, ticket for the installer; clears when calm', async () => {
    expect((await panelView()).runaway).toBe(false);
    const socket = await opsClient(t.rig.svc.httpUrl, t.op);
    const news: Incident[] = [];
    const updates: IncidentChange[] = [];
    socket.on('incident:new', (i: Incident) => news.push(i));
    socket.on('incident:update', (_i: Incident, c: IncidentChange) => updates.push(c));

    await t.panel.send('r-0', 'panic', '1');
    for (let i = 1; i <= 24; i++) await t.panel.send(`r-${i}`, 'intrusion', String((i % 4) + 1));
    await expect.poll(panelView).toMatchObject({ runaway: true });

    // Every event is stored on the panic's incident; only one incident was opened.
    const [alarm] = await incidents();
    expect(alarm?.eventCount ?? alarm?.events.length).toBeGreaterThanOrEqual(25);
    expect(news.map((i) => i.id)).toEqual([alarm!.id]);

    // The maintainer raises the installer's ticket and pushes the count once.
    await t.rig.tick();
    await expect
      .poll(async () => (await incidents()).find((i) => i.kind === 'maintenance')?.state)
      .toBe('new');
    await expect
      .poll(() => updates.find((c) => c.kind === 'workflow' && c.what === 'runaway'))
      .toMatchObject({ detail: { device: 'panel-2', count: 15 } }); // since the 11th (the onset)
    // Diverted events make no update of their own: the only pushes are the count and the ticket's.
    expect(updates.filter((c) => c.kind === 'event').length).toBeLessThan(24);

    // Still flooding as far as the clock knows: not cleared.
    await t.rig.tick();
    expect((await panelView()).runaway).toBe(true);

    // Six quiet minutes later it clears by itself and the ticket closes.
    t.rig.advance(6 * 60_000);
    await t.rig.tick();
    expect((await panelView()).runaway).toBe(false);
    await expect
      .poll(async () => (await incidents()).find((i) => i.kind === 'maintenance')?.state)
      .toBe('resolved');
    socket.close();
  });

  it('a runaway panel’s fire is still decided as one: the open intrusion is raised to P1', async () => {
    const north = await t.rig.svc.login('op-n', 'operator', 'north');
    const shop = await t.rig.panel('panel-1', 'secret-panel-1');
    try {
      for (let i = 0; i < 15; i++) await shop.send(`s-${i}`, 'intrusion', '1');
      const view = async () =>
        (await api<{ runaway: boolean }>(t.rig.url('/api/panels/panel-1'), north)).body.runaway;
      await expect.poll(view).toBe(true);
      const alarm = async () =>
        (
          await api<{ incidents: Incident[] }>(t.rig.url('/api/incidents?site=shop-1'), north)
        ).body.incidents.find((i) => i.kind === 'alarm');
      expect((await alarm())?.priority).toBe(2);
      await shop.send('s-fire', 'fire', '1');
      await expect.poll(async () => (await alarm())?.priority).toBe(1);
    } finally {
      await shop.end();
    }
  });
});

/** Its own rig: the workflow clock of the one above has been moved past the core's. */
describe('a supervisor ends a runaway (real broker, REST)', () => {
  const { t, panelView, incidents } = bankPanelRig();

  it('a supervisor of its area ends a runaway at once: ticket closed, audited; operators and other areas cannot', async () => {
    for (let i = 0; i < 14; i++) await t.panel.send(`e-${i}`, 'intrusion', String((i % 4) + 1));
    await expect.poll(panelView).toMatchObject({ runaway: true });
    await t.rig.tick();
    const ticket = async () => (await incidents()).find((i) => i.kind === 'maintenance' && i.state === 'new');
    await expect.poll(ticket).toBeDefined();
    const end = (token: string, panelId = 'panel-2') =>
      api<{ error?: { code: string }; panel?: string; endedBy?: string }>(
        t.rig.url(`/api/runaways/${panelId}`),
        token,
        {
          method: 'DELETE',
        },
      );

    expect((await end(t.op)).status).toBe(403);
    const north = await t.rig.svc.login('sup-n', 'supervisor', 'north');
    expect(await end(north)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const south = await t.rig.svc.login('sup-s', 'supervisor', 'south');
    expect(await end(south, 'panel-9')).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    // Nothing moved for the refusals.
    expect((await panelView()).runaway).toBe(true);

    // The clock has not moved: without the supervisor it would stay runaway for minutes yet.
    expect(await end(south)).toMatchObject({ status: 200, body: { panel: 'panel-2', endedBy: 'sup-s' } });
    expect((await panelView()).runaway).toBe(false);
    expect(await ticket()).toBeUndefined();
    expect(await end(south)).toMatchObject({ status: 404 });
    const audit = await api<{ entries: { action: string; actor: string; detail: { site?: string } }[] }>(
      t.rig.url('/api/audit?target=panel:panel-2'),
      south,
    );
    expect(audit.body.entries.map((e) => [e.action, e.actor, e.detail.site])).toContainEqual([
      'runaway.end',
      'sup-s',
      'bank-2',
    ]);
  });
});
