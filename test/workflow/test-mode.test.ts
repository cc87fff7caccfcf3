import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import type { TestMode } from '../../src/workflow/test-mode/test-mode-store.js';
import { api, opsClient } from '../helpers/service.js';
import { type Err, type Panel, startWorkflowRig, type WorkflowRig } from './workflow-fixture.js';

type History = {
  active: TestMode[];
  recent: (TestMode & { events: { key: string; type: string }[] })[];
};

describe('test mode per site (real broker, REST, fake clock for its end)', () => {
  let rig: WorkflowRig;
  let panel: Panel;
  let op: string;
  let south: string;

  beforeAll(async () => {
    rig = await startWorkflowRig();
    op = await rig.svc.login('op-a', 'operator', 'north');
    south = await rig.svc.login('op-s', 'operator', 'south');
    panel = await rig.panel('panel-1', 'secret-panel-1');
  });
  afterAll(async () => {
    await panel?.end();
    await rig?.svc.close();
  });

  const history = async () => (await api<History>(rig.url('/api/sites/shop-1/test-mode'), op)).body;
  const openAt = async () =>
    (await api<{ incidents: Incident[] }>(rig.url('/api/incidents?open=true&site=shop-1'), op)).body
      .incidents;

  it.each([
    [{ minutes: 0, reason: 'x' }, 400, 'bad_request'],
    [{ minutes: 121, reason: '年检' }, 400, 'too_long'],
    [{ minutes: 30 }, 400, 'bad_request'],
    [{ minutes: 30, reason: '年检', panel: 'panel-2' }, 400, 'bad_panel'],
  ])('refuses %j with %i %s, changing nothing', async (body, status, code) => {
    const r = await rig.post<Err>('/api/sites/shop-1/test-mode', op, body);
    expect([r.status, r.body.error.code]).toEqual([status, code]);
    expect((await history()).recent).toEqual([]);
  });

  it('is scoped: a south operator cannot see or set the north site', async () => {
    expect(
      (await rig.post('/api/sites/shop-1/test-mode', south, { minutes: 5, reason: '年检' })).status,
    ).toBe(404);
    expect((await api(rig.url('/api/sites/shop-1/test-mode'), south)).status).toBe(404);
  });

  it('on test: events are stored with the test badge, open no incident, push nothing; then it ends by itself', async () => {
    const socket = await opsClient(rig.svc.httpUrl, op);
    const southSocket = await opsClient(rig.svc.httpUrl, south);
    const pushed: string[] = [];
    socket.on('incident:new', (i: Incident) => pushed.push(i.id));
    // The site desk hears each event test mode took (site:test-event); another area hears nothing.
    const tested: { site: string; key: string; type: string; device: string }[] = [];
    const southHeard: unknown[] = [];
    socket.on('site:test-event', (e: (typeof tested)[number]) => tested.push(e));
    southSocket.on('site:test-event', (e: unknown) => southHeard.push(e));
    const started = await rig.post<TestMode>('/api/sites/shop-1/test-mode', op, {
      minutes: 30,
      reason: '安装商年检',
    });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ site: 'shop-1', reason: '安装商年检', by: 'op-a' });

    await panel.send('t-1', 'panic', '1');
    await panel.send('t-2', 'intrusion', '2');
    await expect
      .poll(async () => (await history()).recent[0]?.events.map((e) => e.type))
      .toEqual(['panic', 'intrusion']);
    expect(await openAt()).toEqual([]);
    await expect.poll(() => tested.map((e) => e.type)).toEqual(['panic', 'intrusion']);
    expect(tested.map((e) => e.key)).toEqual((await history()).recent[0]!.events.map((e) => e.key));
    expect(tested[0]).toMatchObject({ site: 'shop-1', device: 'panel-1' });
    expect(southHeard).toEqual([]);
    southSocket.close();

    // 31 minutes later the maintainer records the end (the time it ran out) and audits it.
    rig.advance(31 * 60_000);
    await rig.tick();
    const h = await history();
    expect(h.active).toEqual([]);
    expect(h.recent[0]).toMatchObject({ endedAt: started.body.endsAt, endedBy: 'system' });
    const audit = await api<{ entries: { action: string; actor: string; detail: { reason?: string } }[] }>(
      rig.url('/api/audit?target=site:shop-1'),
      await rig.svc.login('sup', 'supervisor', 'city'),
    );
    expect(audit.body.entries.map((e) => [e.action, e.actor, e.detail.reason])).toEqual(
      expect.arrayContaining([
        ['site.test_mode.start', 'op-a', '安装商年检'],
        ['site.test_mode.end', 'system', 'time_up'],
      ]),
    );

    // Live again: the next panic opens an incident and is pushed.
    await panel.send('t-3', 'panic', '1');
    await expect.poll(() => pushed.length).toBe(1);
    expect((await openAt()).map((i) => i.id)).toEqual(pushed);
    expect(tested).toHaveLength(2); // a live panic is not a test event
    socket.close();
    await rig.post(`/api/incidents/${pushed[0]}/false-alarm`, op);
  });

  it('DELETE ends it at once; a second DELETE is 404 not_in_test', async () => {
    expect((await rig.post('/api/sites/shop-1/test-mode', op, { minutes: 10, reason: '维修' })).status).toBe(
      201,
    );
    const del = await api<{ ended: TestMode[] }>(rig.url('/api/sites/shop-1/test-mode'), op, {
      method: 'DELETE',
    });
    expect(del.status).toBe(200);
    expect(del.body.ended[0]).toMatchObject({ endedBy: 'op-a' });
    const again = await api<Err>(rig.url('/api/sites/shop-1/test-mode'), op, { method: 'DELETE' });
    expect([again.status, again.body.error.code]).toEqual([404, 'not_in_test']);
    await panel.send('t-4', 'panic', '1');
    await expect.poll(async () => (await openAt()).length).toBe(1);
  });

  it('survives a restart: a mode that ran out while the service was down is ended on the first tick', async () => {
    // Covered by deriving from stored times: the store, not memory, says a mode lapsed.
    const { TestModeStore } = await import('../../src/workflow/test-mode/test-mode-store.js');
    const s = new TestModeStore();
    const k = rig.svc.svc.need('store').k;
    const now = Date.now();
    await s.start(k, {
      site: 'bank-2',
      reason: 'before the restart',
      by: 'op',
      at: new Date(now - 3_600_000).toISOString(),
      endsAt: new Date(now - 60_000).toISOString(),
    });
    expect((await s.lapsed(k, new Date(now).toISOString())).map((m) => m.site)).toContain('bank-2');
    await rig.tick();
    expect(await s.lapsed(k, new Date(now).toISOString())).toEqual([]);
  });
});
