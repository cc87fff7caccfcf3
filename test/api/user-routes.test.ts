import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserSummary } from '../../src/auth/auth-store.js';
import { api, opsClient, startTestService, type TestService } from '../helpers/service.js';
import { QUIET_API_CITY_YAML } from './api-fixture.js';

type Err = { error: { code: string; message: string } };
type Applied = { user: UserSummary; sessionsEnded: number };

describe('admin users API: list, disable, enable, revoke, password — scoped and audited', () => {
  let svc: TestService;
  let cityAdmin: string;
  let southAdmin: string;
  const url = (p: string) => `${svc.httpUrl}${p}`;
  const post = <T>(p: string, token: string, body: unknown = {}) =>
    api<T>(url(p), token, { method: 'POST', body: JSON.stringify(body) });

  beforeAll(async () => {
    svc = await startTestService({ yaml: QUIET_API_CITY_YAML });
    cityAdmin = await svc.login('admin-city', 'admin', 'city');
    southAdmin = await svc.login('admin-south', 'admin', 'south');
    await svc.login('op-north', 'operator', 'north');
    await svc.login('op-south', 'operator', 'south');
    await svc.login('bank-user', 'site', 'bank-2');
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('lists the users of the admin subtree only (a site user through its site)', async () => {
    const all = await api<{ users: UserSummary[] }>(url('/api/users'), cityAdmin);
    expect(all.body.users.map((u) => u.username)).toEqual([
      'admin-city',
      'admin-south',
      'bank-user',
      'op-north',
      'op-south',
    ]);
    expect(all.body.users.find((u) => u.username === 'op-north')).toMatchObject({
      role: 'operator',
      disabled: false,
      sessions: 1,
    });
    expect(all.body.users[0]).not.toHaveProperty('passwordHash');
    const south = await api<{ users: UserSummary[] }>(url('/api/users'), southAdmin);
    expect(south.body.users.map((u) => u.username)).toEqual(['admin-south', 'bank-user', 'op-south']);
  });

  it.each([
    ['operator', 'north'],
    ['supervisor', 'city'],
    ['investigator', 'city'],
  ])('a %s gets 403', async (role, scope) => {
    const token = await svc.login(`not-admin-${role}`, role, scope);
    expect((await api<Err>(url('/api/users'), token)).status).toBe(403);
    expect((await post<Err>('/api/users/op-north/disable', token)).status).toBe(403);
  });

  // Each refusal names its own north user: the refusal audit keeps one row per (who, what, why) a minute.
  it.each([
    ['disable', 'POST', 'disable', { reason: 'try' }],
    ['enable', 'POST', 'enable', {}],
    ['revoke', 'POST', 'revoke', {}],
    ['password', 'POST', 'password', { password: 'a-stolen-password' }],
    ['edit', 'PATCH', '', { displayName: '冒名' }],
  ])(
    'an admin of the south cannot %s a north user: 404, audited as a refusal naming the user',
    async (what, method, action, body) => {
      const target = `north-${what}`;
      await svc.login(target, 'operator', 'north');
      const path = `/api/users/${target}${action ? `/${action}` : ''}`;
      const res = await api<Err>(url(path), southAdmin, { method, body: JSON.stringify(body) });
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'not_found', message: `user ${target} does not exist` });
      expect(
        (await api<{ users: UserSummary[] }>(url('/api/users'), cityAdmin)).body.users.find(
          (u) => u.username === target,
        ),
      ).toMatchObject({ disabled: false, displayName: null, sessions: 1 });
      await expect
        .poll(async () =>
          (await svc.svc.need('audit').list({ action: 'access.denied', target: `user:${target}` })).map(
            (r) => [r.actor, r.detail?.['method'], r.detail?.['path']],
          ),
        )
        .toEqual([['admin-south', method, path]]);
    },
  );

  it('a user who does not exist is a 404 that names nobody in the audit log', async () => {
    expect((await post<Err>('/api/users/nobody-here/disable', southAdmin)).status).toBe(404);
    // A refusal sent after it is audited: by then the lookup of nobody-here has had its turn.
    await svc.login('north-after', 'operator', 'north');
    await post<Err>('/api/users/north-after/disable', southAdmin);
    await expect
      .poll(
        async () =>
          (await svc.svc.need('audit').list({ action: 'access.denied', target: 'user:north-after' })).length,
      )
      .toBe(1);
    expect(await svc.svc.need('audit').list({ target: 'user:nobody-here' })).toEqual([]);
  });

  it('disable ends the sessions and closes the /ops socket at once; enable lets the user log in again', async () => {
    const token = await svc.login('op-x', 'operator', 'north');
    const socket = await opsClient(svc.httpUrl, token);
    const ended = new Promise<{ reason: string }>((resolve) => socket.once('session:end', resolve));
    const res = await post<Applied>('/api/users/op-x/disable', cityAdmin, { reason: 'left the unit' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user: { username: 'op-x', disabled: true, sessions: 0 },
      sessionsEnded: 1,
    });
    expect(await ended).toEqual({ reason: 'disabled' });
    await expect.poll(() => socket.connected).toBe(false);
    expect((await api(url('/api/me'), token)).status).toBe(401);
    await expect(svc.login('op-x', 'operator', 'north')).rejects.toThrow(/401/);
    expect((await post<Applied>('/api/users/op-x/enable', cityAdmin)).body.user.disabled).toBe(false);
    await expect(svc.login('op-x', 'operator', 'north')).resolves.toBeTruthy();
    const rows = (await svc.svc.need('audit').list({ target: 'user:op-x' })).map((r) => [r.action, r.actor]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['user.disable', 'admin-city'],
        ['user.enable', 'admin-city'],
      ]),
    );
    expect(
      (await svc.svc.need('audit').list({ action: 'user.disable', target: 'user:op-x' }))[0]?.detail,
    ).toMatchObject({
      reason: 'left the unit',
      sessionsEnded: 1,
    });
  });

  it('revoke ends every session; password sets a new one and ends the old sessions', async () => {
    const a = await svc.login('op-y', 'operator', 'north');
    await svc.login('op-y', 'operator', 'north');
    expect((await post<Applied>('/api/users/op-y/revoke', cityAdmin)).body.sessionsEnded).toBe(2);
    expect((await api(url('/api/me'), a)).status).toBe(401);
    const weak = await post<Err>('/api/users/op-y/password', cityAdmin, { password: 'short' });
    expect([weak.status, weak.body.error.code]).toEqual([400, 'weak_password']);
    const same = await post<Err>('/api/users/op-y/password', cityAdmin, { password: 'op-y' });
    expect(same.status).toBe(400);
    expect(
      (await post<Applied>('/api/users/op-y/password', cityAdmin, { password: 'a-fresh-password' })).status,
    ).toBe(200);
    const login = await fetch(url('/api/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'op-y', password: 'a-fresh-password' }),
    });
    expect(login.status).toBe(200);
    expect(await svc.svc.need('audit').list({ action: 'user.passwd', target: 'user:op-y' })).toHaveLength(1);
    // The audit row never holds the password.
    expect(JSON.stringify(await svc.svc.need('audit').list({ target: 'user:op-y' }))).not.toContain(
      'a-fresh-password',
    );
  });

  it('an admin cannot disable or revoke their own account (409)', async () => {
    for (const action of ['disable', 'revoke']) {
      const res = await post<Err>(`/api/users/admin-city/${action}`, cityAdmin);
      expect([action, res.status, res.body.error.code]).toEqual([action, 409, 'own_account']);
    }
  });

  it.each([
    ['an unknown user', '/api/users/ghost/disable', {}, 404],
    ['a username too long', `/api/users/${'u'.repeat(65)}/disable`, {}, 400],
    ['an unknown body key', '/api/users/op-north/disable', { admin: true }, 400],
    ['a reason that is not text', '/api/users/op-north/revoke', { reason: 5 }, 400],
  ])('refuses %s and changes nothing', async (_what, path, body, status) => {
    const before = JSON.stringify(
      (await api<{ users: UserSummary[] }>(url('/api/users'), cityAdmin)).body.users,
    );
    expect((await post<Err>(path, cityAdmin, body)).status).toBe(status);
    expect(
      JSON.stringify((await api<{ users: UserSummary[] }>(url('/api/users'), cityAdmin)).body.users),
    ).toBe(before);
  });
});
