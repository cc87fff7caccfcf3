import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import type { Incident } from '../../src/core/incident-types.js';
import type { PanelView } from '../../src/panels/panel-routes.js';
import type { PanelCommand } from '../../src/panels/panel-store.js';
import { api, counterValue, startTestService, type TestService } from '../helpers/service.js';

describe('panels API', () => {
  let svc: TestService;
  let p1: PanelSimulator;
  let p2: PanelSimulator;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    svc = await startTestService();
    p1 = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-1', secret: 'secret-panel-1', battery: 87 });
    p2 = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-2', secret: 'secret-panel-2', commands: 'fail' });
    await p1.connect();
    await p2.connect();
    await p1.sendHeartbeat();
    tokens['city'] = await svc.login('op-city', 'operator', 'city');
    tokens['north'] = await svc.login('op-north', 'operator', 'north');
    tokens['shop'] = await svc.login('shop-owner', 'site', 'shop-1');
    tokens['inv'] = await svc.login('inv', 'investigator', 'city');
  });
  afterAll(async () => {
    await p1?.close();
    await p2?.close();
    await svc?.close();
  });

  const url = (path: string) => `${svc.httpUrl}${path}`;
  const command = (who: string, panel: string, body: unknown) =>
    api<PanelCommand & { error?: { code: string } }>(url(`/api/panels/${panel}/command`), tokens[who], {
      method: 'POST',
      body: JSON.stringify(body),
    });

  it.each([
    ['city', ['panel-1', 'panel-2']],
    ['north', ['panel-1']],
    ['shop', ['panel-1']],
  ])('GET /api/panels as %s lists only panels in scope', async (who, ids) => {
    const res = await api<{ panels: PanelView[] }>(url('/api/panels'), tokens[who]);
    expect(res.status).toBe(200);
    expect(res.body.panels.map((p) => p.id)).toEqual(ids);
  });

  it('shows online, battery and mains from heartbeats', async () => {
    await expect
      .poll(async () => (await api<PanelView>(url('/api/panels/panel-1'), tokens['city'])).body)
      .toMatchObject({ id: 'panel-1', site: 'shop-1', online: true, battery: 87, mains: true });
  });

  it.each([
    ['shop', 'panel-2', 404],
    ['north', 'panel-2', 404],
    ['city', 'no-such-panel', 404],
  ])('GET /api/panels/:id as %s for %s is %i', async (who, panel, status) => {
    expect((await api(url(`/api/panels/${panel}`), tokens[who])).status).toBe(status);
  });

  it('refuses without a token', async () => {
    expect((await api(url('/api/panels'), undefined)).status).toBe(401);
  });

  it('an operator arms a panel: published with a requestId, the reply tracked, the arming state shown, audited', async () => {
    const res = await command('city', 'panel-1', { command: 'arm_home' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ panelId: 'panel-1', command: 'arm_home', state: 'pending' });
    const { requestId } = res.body;
    await expect
      .poll(async () => {
        const list = await api<{ commands: PanelCommand[] }>(
          url('/api/panels/panel-1/commands'),
          tokens['city'],
        );
        return list.body.commands.find((c) => c.requestId === requestId)?.state;
      })
      .toBe('ok');
    await expect
      .poll(async () => (await api<PanelView>(url('/api/panels/panel-1'), tokens['city'])).body.armed)
      .toBe('home');
    const audit = await svc.svc.need('audit').list({ target: 'panel:panel-1', action: 'panel.command' });
    expect(audit[0]).toMatchObject({ actor: 'op-city', detail: { command: 'arm_home', requestId } });
    // The shop's owner reads who armed it as the desk's station, not the operator's login.
    const theirs = await api<{ commands: PanelCommand[] }>(
      url('/api/panels/panel-1/commands'),
      tokens['shop'],
    );
    expect(theirs.body.commands.find((c) => c.requestId === requestId)?.requestedBy).toBe('City 110');
    expect(JSON.stringify(theirs.body)).not.toContain('op-city');
  });

  it('a panel that refuses a command marks it failed with its error', async () => {
    const res = await command('city', 'panel-2', { command: 'disarm' });
    expect(res.status).toBe(202);
    await expect
      .poll(async () => {
        const list = await api<{ commands: PanelCommand[] }>(
          url('/api/panels/panel-2/commands'),
          tokens['city'],
        );
        return list.body.commands.find((c) => c.requestId === res.body.requestId);
      })
      .toMatchObject({ state: 'failed', error: 'panel refused disarm' });
  });

  it.each([
    ['shop', 'panel-1', { command: 'test' }, 202],
    ['shop', 'panel-1', { command: 'arm_away' }, 403],
    ['shop', 'panel-2', { command: 'test' }, 404],
    ['inv', 'panel-1', { command: 'test' }, 403],
    ['north', 'panel-2', { command: 'disarm' }, 404],
    ['city', 'panel-1', { command: 'self_destruct' }, 400],
    ['city', 'panel-1', {}, 400],
  ])('%s sending %j to %s is %i', async (who, panel, body, status) => {
    const before = (await svc.svc.need('audit').list({ action: 'panel.command' })).length;
    const res = await command(who, panel, body);
    expect(res.status).toBe(status);
    expect((await svc.svc.need('audit').list({ action: 'panel.command' })).length).toBe(
      before + (status === 202 ? 1 : 0),
    );
  });

  it('the will raises a communication-lost trouble for the site and the return restores it', async () => {
    await p2.close(true);
    const store = svc.svc.need('store');
    await expect
      .poll(async () => (await store.incidents.findOpen('bank-2', 'maintenance'))?.rule)
      .toBe('trouble-ticket');
    const ticket = (await store.incidents.findOpen('bank-2', 'maintenance')) as Incident;
    const trouble = await store.events.get(ticket.events[0]!.key);
    expect(trouble).toMatchObject({
      source: 'system',
      type: 'trouble',
      detail: { reason: 'communication_lost' },
    });
    expect((await api<PanelView>(url('/api/panels/panel-2'), tokens['city'])).body).toMatchObject({
      online: false,
      commLost: true,
    });

    p2 = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-2', secret: 'secret-panel-2' });
    await p2.connect();
    await expect.poll(async () => (await store.incidents.get(ticket.id))?.state).toBe('resolved');
    const metrics = await (await fetch(url('/metrics'))).text();
    expect(metrics).toMatch(/^sharpeyes_panel_supervision_total\{type="trouble"\} 1$/m);
    expect(metrics).toMatch(/^sharpeyes_panel_supervision_total\{type="restore"\} 1$/m);
    expect((await api<PanelView>(url('/api/panels/panel-2'), tokens['city'])).body).toMatchObject({
      online: true,
      commLost: false,
    });
  });

  it('a second connection of the same panel (the simulator beside it) is no communication loss', async () => {
    // README: `simulate panel --id <a running panel>`. Each connection takes the other's session in
    // turn (the running panel reconnects after a second), and Aedes publishes the will of the one it
    // closes; the panel was connected all along.
    const troubles = () => counterValue(svc.httpUrl, 'sharpeyes_panel_supervision_total{type="trouble"}');
    const before = await troubles();
    const sim = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-1', secret: 'secret-panel-1' });
    await sim.connect(); // takes panel-1's session: its will is published
    await sim.sendHeartbeat();
    await new Promise((r) => setTimeout(r, 2500)); // panel-1 reconnects and takes it back
    await sim.detach(); // as `simulate panel --panic` leaves
    await new Promise((r) => setTimeout(r, 1500)); // room for a will, and for the other's reconnect
    expect(await troubles()).toBe(before);
    expect(await svc.svc.need('store').incidents.findOpen('shop-1', 'maintenance')).toBeUndefined();
    expect((await api<PanelView>(url('/api/panels/panel-1'), tokens['city'])).body).toMatchObject({
      commLost: false,
    });
  });
});
