import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserSummary } from '../../src/auth/auth-store.js';
import { districtYaml, homeOwner, seedUsers } from '../helpers/district.js';
import { SERVICE_BACKENDS, stopSharedPostgres } from '../helpers/postgres.js';
import { api, startTestService, type TestService } from '../helpers/service.js';

afterAll(() => stopSharedPostgres(), 60_000);

/** The console's city (Chinese names: 北城派出所, 鑫源金店 …) with 300 homes: 200 in 北城, 100 in 南城. */
const CITY_YAML = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'web', 'console-city.yaml'),
  'utf8',
);
const HOMES = 300;

type Listed = UserSummary & { scopeMissing: boolean };
type Page = { users: Listed[]; total: number; offset: number; limit?: number; missingScopes: number };
type Err = { error: { code: string; message: string; details?: { field: string; reason?: string }[] } };

/**
 * The users page of a district with thousands of home owners (GET /api/users?q=&role=&status=
 * &scopeMissing=&limit=&offset=): searched, filtered and paged on the server, inside the admin's
 * area, on SQLite and on PostgreSQL.
 */
describe.each(SERVICE_BACKENDS)('admin users API: search, filters and pages on %s', (_name, storage) => {
  let svc: TestService;
  let cityAdmin: string;
  let southAdmin: string;
  const list = async (query: string, token = cityAdmin) => {
    const res = await api<Page & Err>(`${svc.httpUrl}/api/users${query}`, token);
    return { status: res.status, ...res.body };
  };
  const names = (p: { users: Listed[] }) => p.users.map((u) => u.username);

  beforeAll(async () => {
    svc = await startTestService({ yaml: `${districtYaml(CITY_YAML, HOMES)}${await storage()}` });
    cityAdmin = await svc.login('admin-city', 'admin', 'city');
    southAdmin = await svc.login('admin-south', 'admin', 'south');
    await seedUsers(svc, [
      { username: 'op-north', role: 'operator', scope: 'north', displayName: '赵警官' },
      { username: 'op-south', role: 'operator', scope: 'south' },
      { username: 'WangLei', role: 'site', scope: 'shop-1', displayName: '王磊' },
      // Homes 1 to 10 moved out: their owners are disabled.
      ...Array.from({ length: HOMES }, (_, i) => ({ ...homeOwner(i + 1), disabled: i < 10 })),
      // Scopes the config no longer has: a home that left the scheme, a station that was merged.
      { username: 'ghost-home', role: 'site', scope: 'home-9999', displayName: '已拆迁住户' },
      { username: 'ghost-desk', role: 'operator', scope: 'east' },
    ]);
  }, 120_000);
  afterAll(async () => svc?.close());

  it('pages through every user of the area in username order, each once, with the total', async () => {
    const all = await list('');
    expect(all.total).toBe(HOMES + 7);
    const seen: string[] = [];
    for (let offset = 0; offset < all.total; offset += 50) {
      const page = await list(`?limit=50&offset=${offset}`);
      expect([page.status, page.total, page.offset, page.limit]).toEqual([200, all.total, offset, 50]);
      expect(page.users.length).toBe(Math.min(50, all.total - offset));
      seen.push(...names(page));
    }
    expect(seen).toEqual(names(all));
    expect(seen).toEqual([...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(names(await list(`?limit=50&offset=${all.total}`))).toEqual([]);
  });

  it('without paging answers every user as before, each with the fields it had and scopeMissing', async () => {
    const all = await list('');
    expect(all.users).toHaveLength(all.total);
    expect(all.users.find((u) => u.username === 'owner-0001')).toEqual({
      id: expect.any(Number),
      username: 'owner-0001',
      role: 'site',
      scope: 'home-0001',
      displayName: homeOwner(1).displayName,
      disabled: true,
      createdAt: expect.any(String),
      disabledAt: expect.any(String),
      passwordChangedAt: null,
      lastLoginAt: null,
      sessions: 0,
      scopeMissing: false,
    });
    expect(all.users.find((u) => u.username === 'admin-city')?.sessions).toBe(1);
  });

  it.each([
    ['a username, whatever its case', 'wanglei', ['WangLei']],
    ['full-width letters, as a Chinese input method types them', 'ＷＡＮＧ', ['WangLei']],
    ['a display name in Chinese', '王磊', ['WangLei']],
    ['part of a site user’s site name', '鑫源', ['WangLei']],
    ['a staff user’s node name', '北城派出所', ['op-north']],
    ['part of a node name', '南城', ['admin-south', 'op-south']],
    ['a scope id', 'home-0123', ['owner-0123']],
    ['two words, each required', '赵 警官', ['op-north']],
    ['words found in nobody', '不存在的人', []],
  ])('finds users by %s', async (_what, q, expected) => {
    const page = await list(`?q=${encodeURIComponent(q)}&limit=100`);
    expect([page.status, names(page), page.total]).toEqual([200, expected, expected.length]);
  });

  it('finds the owners of an estate by the homes’ names, a page at a time', async () => {
    const page = await list(`?q=${encodeURIComponent('南湖花园')}&limit=20&offset=20`);
    expect([page.total, page.users.length]).toEqual([100, 20]);
    expect(page.users.every((u) => u.role === 'site' && u.scope >= 'home-0201')).toBe(true);
  });

  it.each([
    ['role', '?role=operator', ['ghost-desk', 'op-north', 'op-south']],
    ['state', '?status=disabled', Array.from({ length: 10 }, (_, i) => homeOwner(i + 1).username)],
    [
      'role, state and words',
      `?role=site&status=enabled&q=${encodeURIComponent('幸福里')}&limit=3`,
      ['owner-0011', 'owner-0012', 'owner-0013'],
    ],
    ['a missing scope', '?scopeMissing=true', ['ghost-desk', 'ghost-home']],
  ])('filters by %s', async (_what, query, expected) => {
    const page = await list(query);
    expect([page.status, names(page)]).toEqual([200, expected]);
  });

  it('keeps each admin to their area: a station admin finds nothing of the other station', async () => {
    const south = await list('', southAdmin);
    expect(south.total).toBe(102); // admin-south, op-south and the 100 homes of 南湖花园
    expect(south.users.every((u) => u.username.startsWith('owner-') || u.username.endsWith('-south'))).toBe(
      true,
    );
    for (const q of ['鑫源', '北城', 'WangLei', 'owner-0001', 'ghost'])
      expect([q, (await list(`?q=${encodeURIComponent(q)}`, southAdmin)).total]).toEqual([q, 0]);
    expect(south.missingScopes).toBe(0);
  });

  it('lists a user whose site or node left the config to the centre’s admin, who places them again', async () => {
    const all = await list('');
    expect(all.missingScopes).toBe(2);
    expect(all.users.filter((u) => u.scopeMissing).map((u) => [u.username, u.scope])).toEqual([
      ['ghost-desk', 'east'],
      ['ghost-home', 'home-9999'],
    ]);
    const res = await api<{ user: Listed }>(`${svc.httpUrl}/api/users/ghost-home`, cityAdmin, {
      method: 'PATCH',
      body: JSON.stringify({ scope: 'home-0300', reason: '住户搬入新房' }),
    });
    expect([res.status, res.body.user.scope, res.body.user.scopeMissing]).toEqual([200, 'home-0300', false]);
    expect((await list('')).missingScopes).toBe(1);
    // A station admin cannot see or act on them: nobody can tell whose they were.
    const refused = await api<Err>(`${svc.httpUrl}/api/users/ghost-desk/disable`, southAdmin, {
      method: 'POST',
      body: '{}',
    });
    expect(refused.status).toBe(404);
  });

  it.each([
    ['a page of none', '?limit=0', 'limit'],
    ['a page over 500', '?limit=501', 'limit'],
    ['a page size in words', '?limit=ten', 'limit'],
    ['a fractional page size', '?limit=1.5', 'limit'],
    ['a negative offset', '?offset=-1', 'offset'],
    ['an offset in words', '?offset=first', 'offset'],
    ['an unknown role', '?role=chief', 'role'],
    ['an unknown state', '?status=on', 'status'],
    ['scopeMissing that is not true or false', '?scopeMissing=yes', 'scopeMissing'],
    ['words over 100 characters', `?q=${'查'.repeat(101)}`, 'q'],
    ['two roles', '?role=site&role=admin', 'role'],
    ['an unknown parameter', '?sort=name', ''],
  ])('refuses %s: 400 naming the parameter, never a 5xx', async (_what, query, field) => {
    const res = await list(query);
    expect([res.status, res.error.code]).toEqual([400, 'bad_request']);
    expect(res.error.details?.map((d) => d.field)).toEqual([field]);
  });
});

/**
 * Accounts stored as one name but for case or width before migration 116 (the oldest holds the name,
 * the later ones keep no key and log in by their exact names): the users page marks each with the
 * others of its name, whichever area those are in, and counts the admin's among them.
 */
describe.each(SERVICE_BACKENDS)('admin users API: accounts that share a name on %s', (_name, storage) => {
  let svc: TestService;
  let cityAdmin: string;
  let southAdmin: string;
  const list = async (query: string, token = cityAdmin) =>
    (await api<Page & { sameNames: number }>(`${svc.httpUrl}/api/users${query}`, token)).body;
  const marks = (p: Page) =>
    p.users.map((u) => [u.username, (u as Listed & { sameName?: unknown }).sameName]);

  beforeAll(async () => {
    svc = await startTestService({ yaml: `${CITY_YAML}${await storage()}` });
    cityAdmin = await svc.login('admin-city', 'admin', 'city');
    southAdmin = await svc.login('admin-south', 'admin', 'south');
    await seedUsers(svc, [{ username: 'Wang', role: 'operator', scope: 'north', displayName: '王伟' }]);
    // As they were stored before migration 116: the later twins without a key.
    for (const [username, scope] of [
      ['wang', 'south'],
      ['ｗａｎｇ', 'north'],
    ] as const)
      await svc.svc
        .need('store')
        .k.insertInto('users')
        .values({
          username,
          username_key: null,
          password_hash: 'x',
          role: 'operator',
          scope,
          created_at: new Date().toISOString(),
          disabled: 0,
        })
        .execute();
    await seedUsers(svc, [{ username: 'op-north', role: 'operator', scope: 'north' }]);
  }, 120_000);
  afterAll(async () => svc?.close());

  it('marks each twin with the others of its name, the oldest as the one that keeps it', async () => {
    const page = await list('?limit=50');
    expect(marks(page)).toEqual([
      ['Wang', { others: ['wang', 'ｗａｎｇ'], holds: true }],
      ['admin-city', undefined],
      ['admin-south', undefined],
      ['op-north', undefined],
      ['wang', { others: ['Wang', 'ｗａｎｇ'], holds: false }],
      ['ｗａｎｇ', { others: ['Wang', 'wang'], holds: false }],
    ]);
    expect(page.sameNames).toBe(3);
    // Without a limit too (sent a slice at a time), and found by any of the spellings.
    expect(marks(await list('')).filter(([, m]) => m !== undefined)).toHaveLength(3);
    expect((await list(`?q=${encodeURIComponent('ＷＡＮＧ')}`)).users.map((u) => u.username)).toEqual([
      'Wang',
      'wang',
      'ｗａｎｇ',
    ]);
  });

  it('a station admin sees their own twin marked, naming the others wherever they are', async () => {
    const page = await list('', southAdmin);
    expect(marks(page)).toEqual([
      ['admin-south', undefined],
      ['wang', { others: ['Wang', 'ｗａｎｇ'], holds: false }],
    ]);
    expect(page.sameNames).toBe(1);
  });

  it('lists only them when asked (the page’s 同名账号 filter)', async () => {
    const names = async (query: string, token = cityAdmin) => {
      const res = await api<Page>(`${svc.httpUrl}/api/users${query}`, token);
      return [res.status, res.body.users?.map((u) => u.username)];
    };
    expect(await names('?sameName=true')).toEqual([200, ['Wang', 'wang', 'ｗａｎｇ']]);
    expect(await names('?sameName=false')).toEqual([200, ['admin-city', 'admin-south', 'op-north']]);
    expect(await names('?sameName=true', southAdmin)).toEqual([200, ['wang']]);
    const refused = await api<Err>(`${svc.httpUrl}/api/users?sameName=yes`, cityAdmin);
    expect([refused.status, refused.body.error.details?.map((d) => d.field)]).toEqual([400, ['sameName']]);
  });
});
