import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import { ev } from '../core/core-fixture.js';
import { api, nextEvent, opsClient, startTestService, type TestService } from '../helpers/service.js';
import { API_CITY_YAML } from './api-fixture.js';

/**
 * The desks name who acted on an incident by display name (`people: {username: displayName}` on each
 * incident view, REST and /ops pushes, and beside the handover notes); a shop owner is told no names.
 */
describe('who acted, by name (REST and /ops)', () => {
  let svc: TestService;
  let op: string;
  let sup: string;
  let admin: string;
  let owner: string;
  let desk: Socket;
  let shop: Socket;
  /** Everything the shop owner's socket heard, as sent. */
  const shopPushes: string[] = [];
  const url = (p: string) => `${svc.httpUrl}${p}`;
  const send = <T>(method: string, p: string, token: string, body: unknown = {}) =>
    api<T>(url(p), token, { method, body: JSON.stringify(body) });

  /** A user made as `sharpeyes user add --name` or the users page makes one, then logged in. */
  const person = (username: string, role: string, scope: string, displayName?: string) =>
    svc.login(username, role, scope, displayName);

  beforeAll(async () => {
    svc = await startTestService({ yaml: API_CITY_YAML });
    op = await person('038512', 'operator', 'north', '北城值班 王磊');
    sup = await person('sup-city', 'supervisor', 'city'); // no display name: shown by the login
    admin = await person('admin-city', 'admin', 'city', '系统管理员');
    owner = await person('owner-shop', 'site', 'shop-1', '金店店主');
    [desk, shop] = await Promise.all([opsClient(svc.httpUrl, sup), opsClient(svc.httpUrl, owner)]);
    shop.on('incident:update', (...args: unknown[]) => shopPushes.push(JSON.stringify(args)));
  });
  afterAll(async () => {
    desk?.close();
    shop?.close();
    await svc?.close();
  });

  /** The shop's alarm (joined by every later panic while it is open), or the bank's. */
  const open = async (site = 'shop-1', device = 'panel-1') =>
    (await svc.svc.need('core').ingest(ev('panic', { site, device, zone: '1' }))).incident!;

  it('names the people of every act to staff, and none to the shop owner, over REST and the socket', async () => {
    const id = await open();
    const deskHeard = nextEvent<Incident>(
      desk,
      'incident:update',
      (i) => i.id === id && i.state === 'acknowledged',
    );
    const shopHeard = nextEvent<Incident>(
      shop,
      'incident:update',
      (i) => i.id === id && i.state === 'acknowledged',
    );
    const acked = await send<Incident>('POST', `/api/incidents/${id}/ack`, op);
    expect(acked.status).toBe(200);
    expect(acked.body.people).toEqual({ '038512': '北城值班 王磊' });
    expect((await deskHeard).people).toEqual({ '038512': '北城值班 王磊' });
    expect((await shopHeard).people).toBeUndefined();

    // The operator, who holds it, adds a note and dispatches.
    expect((await send('POST', `/api/incidents/${id}/notes`, op, { text: '已电话联系店主' })).status).toBe(
      201,
    );
    const d = await send<Incident>('POST', `/api/incidents/${id}/dispatch`, op, { unit: 'north-car-1' });
    expect(d.body.units).toMatchObject([{ dispatchedBy: '038512' }]);
    expect(d.body.people).toEqual({ '038512': '北城值班 王磊' });

    const list = await api<{ incidents: Incident[] }>(url('/api/incidents?site=shop-1'), sup);
    expect(list.body.incidents.find((i) => i.id === id)?.people).toEqual({ '038512': '北城值班 王磊' });
    const one = await api<Incident>(url(`/api/incidents/${id}`), sup);
    expect(one.body.people).toEqual({ '038512': '北城值班 王磊' });

    // The shop owner reads their incident without the police's people's names, and without their
    // logins: who acted reads as the station they work at.
    const theirs = await api<Incident>(url(`/api/incidents/${id}`), owner);
    expect(theirs.status).toBe(200);
    expect(theirs.body.people).toBeUndefined();
    expect(theirs.body.transitions.map((t) => t.by)).toEqual(['system', 'North station', 'North station']);
    // The desk's note is the police's own: the owner reads none.
    expect(theirs.body.notes).toEqual([]);
    expect(JSON.stringify(theirs.body)).not.toContain('已电话联系店主');
    // The owner's socket heard the dispatch that came after the note.
    await expect.poll(() => shopPushes.some((p) => p.includes('"state":"dispatched"'))).toBe(true);
    expect(shopPushes.join('\n')).not.toMatch(/已电话联系店主|038512/);
    expect(theirs.body.units).toMatchObject([{ dispatchedBy: 'North station' }]);
    const theirList = await api<{ incidents: Incident[] }>(url('/api/incidents'), owner);
    expect(theirList.body.incidents.length).toBeGreaterThan(0);
    expect(theirList.body.incidents.every((i) => i.people === undefined)).toBe(true);
    for (const body of [theirs.body, ...theirList.body.incidents, await shopHeard])
      expect(JSON.stringify(body)).not.toMatch(/038512|sup-city/);
  });

  it('tells the shop owner which station holds their alarm, not who, in the socket’s changes too', async () => {
    const id = await open(); // held by 038512 since the acknowledgement
    const change = new Promise<[Incident & { owner?: { username: string } }, unknown]>((resolve) =>
      shop.on('incident:update', (i: Incident, c: { kind: string; what?: string }) => {
        if (i.id === id && c?.kind === 'workflow' && c.what === 'owner') resolve([i, c]);
      }),
    );
    // The city's supervisor (no display name) takes it over from the station, then hands it back.
    expect((await send('POST', `/api/incidents/${id}/take`, sup, { takeover: true })).status).toBe(200);
    const [heard, c] = await change;
    expect(heard.owner?.username).toBe('City 110');
    expect(c).toMatchObject({ by: 'City 110', detail: { owner: 'City 110', from: 'North station' } });
    expect(JSON.stringify([heard, c])).not.toMatch(/038512|sup-city/);
    expect((await send('POST', `/api/incidents/${id}/release`, sup)).status).toBe(200);
  });

  it('names the holder and who did the plan steps', async () => {
    const id = await open();
    const taken = await send<Incident & { owner?: { username: string } }>(
      'POST',
      `/api/incidents/${id}/take`,
      op,
    );
    expect(taken.status).toBe(200);
    expect(taken.body.people).toEqual({ '038512': '北城值班 王磊' });
    // A second operator takes it over and works the plan: now they hold it and did the steps.
    const other = await person('041207', 'operator', 'north', '北城值班 张伟');
    await send('POST', `/api/incidents/${id}/take`, other, { takeover: true });
    await send('POST', `/api/incidents/${id}/steps/call-site`, other, { outcome: 'reached' });
    const step = await send<Incident & { plan?: { steps: { id: string; by?: string }[] } }>(
      'POST',
      `/api/incidents/${id}/steps/forward-station`,
      other,
      { outcome: 'forwarded' },
    );
    expect(step.status).toBe(200);
    expect(step.body.plan?.steps.find((s) => s.id === 'call-site')?.by).toBe('041207');
    expect(step.body.people?.['041207']).toBe('北城值班 张伟');
  });

  it('shows a rename at once, with no read of the users table per view', async () => {
    const id = await open(); // the shop's open alarm, which 038512 acknowledged
    const renamed = await send('PATCH', '/api/users/038512', admin, { displayName: '王磊' });
    expect(renamed.status).toBe(200);
    const after = await api<Incident>(url(`/api/incidents/${id}`), sup);
    expect(after.body.people?.['038512']).toBe('王磊');
    // A name taken away: the login is what the desks read again.
    await send('PATCH', '/api/users/038512', admin, { displayName: '' });
    expect((await api<Incident>(url(`/api/incidents/${id}`), sup)).body.people).not.toHaveProperty('038512');
    await send('PATCH', '/api/users/038512', admin, { displayName: '北城值班 王磊' });
  });

  it('learns names written elsewhere (another node, the command line) at its next refresh', async () => {
    const id = await open('bank-2', 'panel-2');
    await svc.svc.need('store').users.create({
      passwordHash: 'x',
      username: 'op-elsewhere',
      role: 'operator',
      scope: 'north',
      displayName: '李娜',
    });
    await svc.svc.need('core').addNote(id, 'op-elsewhere', '现场无异常');
    const before = await api<Incident>(url(`/api/incidents/${id}`), sup);
    expect(before.body.notes?.at(-1)?.by).toBe('op-elsewhere');
    expect(before.body.people).not.toHaveProperty('op-elsewhere');
    await svc.svc.need('auth').people.refresh();
    const after = await api<Incident>(url(`/api/incidents/${id}`), sup);
    expect(after.body.people?.['op-elsewhere']).toBe('李娜');
  });

  it('names the authors of handover notes', async () => {
    const posted = await send<{ note: { author: string }; people: Record<string, string> }>(
      'POST',
      '/api/console/handover-notes',
      op,
      { text: '金店报警已派警，待回告', shift: '2026-1-1-day' },
    );
    expect(posted.status).toBe(201);
    expect(posted.body.people).toEqual({ '038512': '北城值班 王磊' });
    const got = await api<{ notes: { author: string }[]; people: Record<string, string> }>(
      url('/api/console/handover-notes'),
      sup,
    );
    expect(got.body.notes.map((n) => n.author)).toContain('038512');
    expect(got.body.people).toEqual({ '038512': '北城值班 王磊' });
  });
  it('names who put a site on test and who started a storm (the desks’ strip, the site desk, 系统状态)', async () => {
    const supNorth = await person('sup-north', 'supervisor', 'north', '北城所长 赵强');
    const test = await send('POST', '/api/sites/shop-1/test-mode', op, { minutes: 30, reason: '维保测试' });
    expect(test.status).toBe(201);
    const storm = await send('POST', '/api/storms', supNorth, {
      node: 'north',
      categories: ['trouble'],
      action: 'demote',
      minutes: 30,
      reason: '运营商线路故障',
    });
    expect(storm.status).toBe(201);
    const status = await api<{ people: Record<string, string> }>(url('/api/workflow/status'), sup);
    expect(status.body.people).toEqual({ '038512': '北城值班 王磊', 'sup-north': '北城所长 赵强' });
    const storms = await api<{ people: Record<string, string> }>(url('/api/storms'), sup);
    expect(storms.body.people).toEqual({ 'sup-north': '北城所长 赵强' });
    const modes = await api<{ people: Record<string, string> }>(url('/api/sites/shop-1/test-mode'), sup);
    expect(modes.body.people).toEqual({ '038512': '北城值班 王磊' });
    // The shop's own user reads their site's test modes without names, as before.
    const theirs = await api<{ people?: unknown; active: { by: string }[] }>(
      url('/api/sites/shop-1/test-mode'),
      owner,
    );
    expect(theirs.status).toBe(200);
    expect(theirs.body.people).toBeUndefined();
    // ...and who put it on test as the desk's station, not the operator's login.
    expect(theirs.body.active.map((m) => m.by)).toEqual(['North station']);
    expect(JSON.stringify(theirs.body)).not.toContain('038512');
  });

  it('names a shop owner who put their own site on test, though site users are not kept in memory', async () => {
    await svc.svc.need('auth').people.refresh();
    // The minute's refresh reads the staff only: a city's thousands of shop owners stay in the store.
    expect(svc.svc.need('auth').people.of(['owner-shop', '038512'])).toEqual({ '038512': '北城值班 王磊' });
    // The shop owner ends the desk's test mode: told it was the station's.
    const ended = await send<{ ended: { by: string; endedBy: string }[] }>(
      'DELETE',
      '/api/sites/shop-1/test-mode',
      owner,
    );
    expect(ended.status).toBe(200);
    expect(ended.body.ended.map((m) => [m.by, m.endedBy])).toEqual([['North station', 'owner-shop']]);
    const test = await send('POST', '/api/sites/shop-1/test-mode', owner, {
      minutes: 30,
      reason: '店内自测',
    });
    expect(test.status).toBe(201);
    const modes = await api<{ active: { by: string }[]; people: Record<string, string> }>(
      url('/api/sites/shop-1/test-mode'),
      sup,
    );
    expect(modes.body.active.map((m) => m.by)).toEqual(['owner-shop']);
    expect(modes.body.people['owner-shop']).toBe('金店店主');
    const status = await api<{ people: Record<string, string> }>(url('/api/workflow/status'), sup);
    expect(status.body.people['owner-shop']).toBe('金店店主');
  });
});
