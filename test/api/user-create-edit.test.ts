import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserSummary } from '../../src/auth/auth-store.js';
import { SERVICE_BACKENDS, stopSharedPostgres } from '../helpers/postgres.js';
import { api, opsClient, passwordLogin, startTestService, type TestService } from '../helpers/service.js';
import { QUIET_API_CITY_YAML } from './api-fixture.js';

afterAll(() => stopSharedPostgres(), 60_000);

type Err = { error: { code: string; message: string; details?: { field: string; reason?: string }[] } };
type Created = { user: UserSummary };
type Applied = { user: UserSummary; sessionsEnded: number };

/**
 * An admin creates users and changes their role, scope or display name from the console (POST and
 * PATCH /api/users), inside their own subtree, audited, on SQLite and on PostgreSQL.
 */
describe.each(SERVICE_BACKENDS)('admin users API: create and edit on %s', (_name, storage) => {
  let svc: TestService;
  let cityAdmin: string;
  let southAdmin: string;
  const url = (p: string) => `${svc.httpUrl}${p}`;
  const send = <T>(method: string, p: string, token: string, body: unknown = {}) =>
    api<T>(url(p), token, { method, body: JSON.stringify(body) });
  const users = async () => (await api<{ users: UserSummary[] }>(url('/api/users'), cityAdmin)).body.users;
  const audit = () => svc.svc.need('audit');
  const login = (username: string, password: string) => passwordLogin(svc.httpUrl, username, password);

  beforeAll(async () => {
    svc = await startTestService({ yaml: `${QUIET_API_CITY_YAML}${await storage()}` });
    cityAdmin = await svc.login('admin-city', 'admin', 'city');
    southAdmin = await svc.login('admin-south', 'admin', 'south');
  }, 120_000);
  afterAll(async () => svc?.close());

  it('creates a site user for a shop: 201 with the user as the list shows it, who then logs in', async () => {
    const res = await send<Created>('POST', '/api/users', cityAdmin, {
      username: ' shop-owner ',
      password: 'gold-and-jade-18',
      role: 'site',
      scope: 'shop-1',
      displayName: '王店主',
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({
      username: 'shop-owner',
      role: 'site',
      scope: 'shop-1',
      displayName: '王店主',
      disabled: false,
      sessions: 0,
      lastLoginAt: null,
    });
    expect(res.body.user).not.toHaveProperty('passwordHash');
    expect((await users()).find((u) => u.username === 'shop-owner')).toEqual(res.body.user);
    const session = await login('shop-owner', 'gold-and-jade-18');
    expect(session.status).toBe(200);
    const me = await api<{ role: string; scope: string }>(url('/api/me'), session.token!);
    expect(me.body).toMatchObject({ role: 'site', scope: 'shop-1' });
  });

  it('audits the creation as user.add by the admin, with role and scope and never the password', async () => {
    await send<Created>('POST', '/api/users', southAdmin, {
      username: 'op-new-south',
      password: 'a-long-secret-77',
      role: 'operator',
      scope: 'south',
    });
    const rows = await audit().list({ target: 'user:op-new-south' });
    expect(rows.map((r) => [r.action, r.actor, r.detail])).toEqual([
      ['user.add', 'admin-south', { role: 'operator', scope: 'south' }],
    ]);
    expect(JSON.stringify(await audit().list({ limit: 1000 }))).not.toContain('a-long-secret-77');
  });

  it('a taken username is 409 user_exists, also in another case or in full-width letters, and nothing changes', async () => {
    const before = JSON.stringify(await users());
    for (const username of [
      'op-new-south',
      'OP-New-South',
      'ｏｐ-ｎｅｗ-ｓｏｕｔｈ',
      'ＡＤＭＩＮ-city',
      'admin-city',
    ]) {
      const res = await send<Err>('POST', '/api/users', cityAdmin, {
        username,
        password: 'another-password-1',
        role: 'operator',
        scope: 'north',
      });
      expect([username, res.status, res.body.error?.code]).toEqual([username, 409, 'user_exists']);
    }
    expect(JSON.stringify(await users())).toBe(before);
  });

  it('two admins creating the same name at once: one 201, one 409, never a 5xx', async () => {
    const body = { username: 'op-race', password: 'race-password-1', role: 'operator', scope: 'south' };
    const answers = await Promise.all([
      send<Err>('POST', '/api/users', cityAdmin, body),
      send<Err>('POST', '/api/users', southAdmin, body),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    expect(await audit().list({ action: 'user.add', target: 'user:op-race' })).toHaveLength(1);
  });

  it.each([
    ['an unknown role', { role: 'chief', scope: 'north' }, 400, 'bad_request'],
    ['a site user scoped to a jurisdiction node', { role: 'site', scope: 'north' }, 400, 'bad_scope'],
    ['an operator scoped to a site', { role: 'operator', scope: 'shop-1' }, 400, 'bad_scope'],
    ['a scope that does not exist', { role: 'operator', scope: 'atlantis' }, 404, 'not_found'],
    ['a site that does not exist', { role: 'site', scope: 'shop-99' }, 404, 'not_found'],
    ['a password of 7 characters', { password: 'short-7' }, 400, 'weak_password'],
    ['a password over 256 characters', { password: 'x'.repeat(257) }, 400, 'bad_request'],
    [
      'the username as the password',
      { username: 'op-same-name', password: 'OP-SAME-NAME' },
      400,
      'weak_password',
    ],
    [
      'the username as the password, in full-width letters',
      { username: 'op-same-width', password: 'ＯＰ-ＳＡＭＥ-ＷＩＤＴＨ' },
      400,
      'weak_password',
    ],
    ['a username with a space', { username: 'op new' }, 400, 'bad_request'],
    ['a username with a slash', { username: 'op/new' }, 400, 'bad_request'],
    ['a username of 65 characters', { username: 'u'.repeat(65) }, 400, 'bad_request'],
    ['the username ..', { username: '..' }, 400, 'bad_request'],
    ['a zero-width space in the username', { username: 'admin\u200b' }, 400, 'bad_request'],
    ['a tab in the username', { username: 'op\tnew' }, 400, 'bad_request'],
    ['a blank username', { username: '   ' }, 400, 'bad_request'],
    ['a missing scope', { scope: undefined }, 400, 'bad_request'],
    ['an unknown key', { admin: true }, 400, 'bad_request'],
    ['a display name of 101 characters', { displayName: '名'.repeat(101) }, 400, 'bad_request'],
  ])('refuses %s and creates nothing', async (_what, patch, status, code) => {
    const before = JSON.stringify(await users());
    const body = {
      username: 'op-bad',
      password: 'good-password-1',
      role: 'operator',
      scope: 'north',
      ...patch,
    };
    const res = await send<Err>('POST', '/api/users', cityAdmin, body);
    expect([res.status, res.body.error?.code]).toEqual([status, code]);
    // The route's own answer, not express's for a route that is not there.
    expect(res.body.error.message).not.toMatch(/^no route/);
    expect(JSON.stringify(await users())).toBe(before);
  });

  it('says which rule a bad username breaks, for the console to put in words', async () => {
    const res = await send<Err>('POST', '/api/users', cityAdmin, {
      username: 'op new',
      password: 'good-password-1',
      role: 'operator',
      scope: 'north',
    });
    expect(res.body.error.details).toEqual([
      expect.objectContaining({ field: 'username', reason: 'username_shape' }),
    ]);
  });

  it.each([
    ['a jurisdiction node of another station', 'operator', 'north', 'jurisdiction:north'],
    ['a site of another station', 'site', 'shop-1', 'site:shop-1'],
    ['the centre above them', 'admin', 'city', 'jurisdiction:city'],
  ])(
    'an admin of the south cannot place a user at %s: 404 as if it did not exist, audited',
    async (_w, role, scope, target) => {
      const before = JSON.stringify(await users());
      const res = await send<Err>('POST', '/api/users', southAdmin, {
        username: `op-out-${role}`,
        password: 'good-password-1',
        role,
        scope,
      });
      expect([res.status, res.body.error.code]).toEqual([404, 'not_found']);
      expect(res.body.error.message).toBe(
        `${role === 'site' ? 'site' : 'jurisdiction'} ${scope} does not exist`,
      );
      expect(JSON.stringify(await users())).toBe(before);
      await expect
        .poll(async () => (await audit().list({ action: 'access.denied', target })).map((r) => r.actor))
        .toContain('admin-south');
    },
  );

  it('a non-admin gets 403 on create and edit', async () => {
    const sup = await svc.login('sup-north', 'supervisor', 'north');
    const create = await send<Err>('POST', '/api/users', sup, {
      username: 'op-by-sup',
      password: 'good-password-1',
      role: 'operator',
      scope: 'north',
    });
    expect([create.status, create.body.error.code]).toEqual([403, 'forbidden']);
    const edit = await send<Err>('PATCH', '/api/users/sup-north', sup, { displayName: 'x' });
    expect([edit.status, edit.body.error.code]).toEqual([403, 'forbidden']);
    expect((await users()).find((u) => u.username === 'sup-north')?.displayName).toBeNull();
  });

  it('a new role ends the user’s sessions: the old token gets 401, the socket closes, audited before/after', async () => {
    const token = await svc.login('op-promote', 'operator', 'north');
    const socket = await opsClient(svc.httpUrl, token);
    const ended = new Promise<{ reason: string }>((resolve) => socket.once('session:end', resolve));
    const res = await send<Applied>('PATCH', '/api/users/op-promote', cityAdmin, {
      role: 'supervisor',
      reason: 'made duty supervisor',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user: { username: 'op-promote', role: 'supervisor', scope: 'north', sessions: 0 },
      sessionsEnded: 1,
    });
    expect((await api(url('/api/me'), token)).status).toBe(401);
    expect(await ended).toEqual({ reason: 'role_changed' });
    await expect.poll(() => socket.connected).toBe(false);
    const [row] = await audit().list({ action: 'user.update', target: 'user:op-promote' });
    expect([row?.actor, row?.detail]).toEqual([
      'admin-city',
      {
        before: { role: 'operator' },
        after: { role: 'supervisor' },
        sessionsEnded: 1,
        reason: 'made duty supervisor',
      },
    ]);
    // The next login has the new role.
    const again = await svc.login('op-promote');
    expect((await api<{ role: string }>(url('/api/me'), again)).body.role).toBe('supervisor');
  });

  it('a new scope ends the sessions too; a site user becomes staff only with a node for scope', async () => {
    const token = await svc.login('op-move', 'operator', 'north');
    const moved = await send<Applied>('PATCH', '/api/users/op-move', cityAdmin, { scope: 'south' });
    expect([moved.status, moved.body.user.scope, moved.body.sessionsEnded]).toEqual([200, 'south', 1]);
    expect((await api(url('/api/me'), token)).status).toBe(401);
    await svc.login('shop-clerk', 'site', 'shop-1');
    const noNode = await send<Err>('PATCH', '/api/users/shop-clerk', cityAdmin, { role: 'operator' });
    expect([noNode.status, noNode.body.error.code]).toEqual([400, 'bad_scope']);
    const both = await send<Applied>('PATCH', '/api/users/shop-clerk', cityAdmin, {
      role: 'operator',
      scope: 'north-grid-1',
    });
    expect(both.body.user).toMatchObject({ role: 'operator', scope: 'north-grid-1' });
    expect(
      (await audit().list({ action: 'user.update', target: 'user:shop-clerk' }))[0]?.detail,
    ).toMatchObject({
      before: { role: 'site', scope: 'shop-1' },
      after: { role: 'operator', scope: 'north-grid-1' },
    });
  });

  it('a new display name keeps the sessions open', async () => {
    const token = await svc.login('op-rename', 'operator', 'north');
    const socket = await opsClient(svc.httpUrl, token);
    try {
      const res = await send<Applied>('PATCH', '/api/users/op-rename', cityAdmin, {
        displayName: ' 李警官 ',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ user: { displayName: '李警官', sessions: 1 }, sessionsEnded: 0 });
      expect((await api(url('/api/me'), token)).status).toBe(200);
      expect(socket.connected).toBe(true);
      expect((await audit().list({ action: 'user.update', target: 'user:op-rename' }))[0]?.detail).toEqual({
        before: { displayName: null },
        after: { displayName: '李警官' },
        sessionsEnded: 0,
      });
      // An empty name clears it.
      const cleared = await send<Applied>('PATCH', '/api/users/op-rename', cityAdmin, { displayName: '' });
      expect(cleared.body.user.displayName).toBeNull();
    } finally {
      socket.close();
    }
  });

  it('the same values again change nothing: no audit row, no session ended', async () => {
    const token = await svc.login('op-same-values', 'operator', 'north');
    const res = await send<Applied>('PATCH', '/api/users/op-same-values', cityAdmin, {
      role: 'operator',
      scope: 'north',
    });
    expect([res.status, res.body.sessionsEnded]).toEqual([200, 0]);
    expect((await api(url('/api/me'), token)).status).toBe(200);
    expect(await audit().list({ target: 'user:op-same-values', action: 'user.update' })).toEqual([]);
  });

  it('an admin may rename themselves but not change their own role or scope (409 own_account)', async () => {
    for (const change of [{ role: 'operator' }, { scope: 'north' }, { role: 'admin', scope: 'south' }]) {
      const res = await send<Err>('PATCH', '/api/users/admin-city', cityAdmin, change);
      expect([JSON.stringify(change), res.status, res.body.error.code]).toEqual([
        JSON.stringify(change),
        409,
        'own_account',
      ]);
    }
    expect((await api(url('/api/me'), cityAdmin)).status).toBe(200);
    const renamed = await send<Applied>('PATCH', '/api/users/admin-city', cityAdmin, {
      displayName: '市局管理员',
    });
    expect([renamed.status, renamed.body.user.displayName, renamed.body.sessionsEnded]).toEqual([
      200,
      '市局管理员',
      0,
    ]);
    expect((await api(url('/api/me'), cityAdmin)).status).toBe(200);
  });

  it('an admin of the south cannot edit a north user (404), nor move a south user north (404)', async () => {
    await svc.login('op-north-2', 'operator', 'north');
    await svc.login('op-south-2', 'operator', 'south');
    const target = await send<Err>('PATCH', '/api/users/op-north-2', southAdmin, { displayName: 'x' });
    expect([target.status, target.body.error.message]).toEqual([404, 'user op-north-2 does not exist']);
    const away = await send<Err>('PATCH', '/api/users/op-south-2', southAdmin, { scope: 'north' });
    expect([away.status, away.body.error.message]).toEqual([404, 'jurisdiction north does not exist']);
    const promote = await send<Err>('PATCH', '/api/users/op-south-2', southAdmin, {
      role: 'admin',
      scope: 'city',
    });
    expect(promote.status).toBe(404);
    expect((await users()).find((u) => u.username === 'op-south-2')).toMatchObject({
      role: 'operator',
      scope: 'south',
      displayName: null,
    });
  });

  it('a change read before another admin’s writes nothing (the API answers 409 user_changed)', async () => {
    await svc.login('op-contested', 'operator', 'north');
    const auth = svc.svc.need('auth');
    const read = (await auth.store.userWithHash('op-contested'))!;
    const first = await send<Applied>('PATCH', '/api/users/op-contested', cityAdmin, { role: 'supervisor' });
    expect(first.status).toBe(200);
    // A second admin's change, made from what they read before the first one landed.
    expect(
      await auth.updateUser(read, { role: 'investigator', scope: 'north', displayName: null }),
    ).toBeUndefined();
    expect((await users()).find((u) => u.username === 'op-contested')?.role).toBe('supervisor');
  });

  it.each([
    ['nothing to change', {}],
    ['only a reason', { reason: 'why not' }],
    ['an unknown role', { role: 'chief' }],
    ['an unknown key', { password: 'sneaky-password-1' }],
    ['a scope that is not text', { scope: 5 }],
  ])('refuses an edit with %s (400) and changes nothing', async (_what, body) => {
    await svc.login('op-steady', 'operator', 'north');
    const before = JSON.stringify(await users());
    const res = await send<Err>('PATCH', '/api/users/op-steady', cityAdmin, body);
    expect([res.status, res.body.error.code]).toEqual([400, 'bad_request']);
    expect(JSON.stringify(await users())).toBe(before);
  });
});
