import { afterAll, describe, expect, it } from 'vitest';
import { AuthStore } from '../../src/auth/auth-store.js';
import { stopSharedPostgres, storeBackends } from '../helpers/postgres.js';

afterAll(stopSharedPostgres);

describe.each(storeBackends('auth-store'))('the desks’ names as the store gives them (%s)', (_name, open) => {
  it('reads the staff only, every one of them, a page at a time, every user a page at a time for the users page, and any user’s name when asked by username', async () => {
    const { store, cleanup } = await open();
    try {
      const add = (
        username: string,
        role: 'operator' | 'site' | 'admin',
        scope: string,
        displayName?: string,
      ) =>
        store.users.create({
          username,
          passwordHash: 'x',
          role,
          scope,
          ...(displayName ? { displayName } : {}),
        });
      // Staff and shop owners interleaved, so the pages' keys cross both.
      for (let i = 0; i < 7; i++) {
        await add(`op-${i}`, 'operator', 'north', i % 2 ? undefined : `值班员${i}`);
        await add(`home-${i}`, 'site', `home-${i}`, `住户${i}`);
      }
      await add('admin-city', 'admin', 'city', '管理员');
      const auth = new AuthStore(store.k);
      for (const page of [1, 3, 8, 500]) {
        const staff = await auth.staffNames(page);
        expect(staff.map((s) => s.username)).toEqual([
          ...[0, 1, 2, 3, 4, 5, 6].map((i) => `op-${i}`),
          'admin-city',
        ]);
      }
      for (const page of [1, 3, 8, 500]) {
        const pages: string[][] = [];
        for await (const rows of auth.userPages(page)) pages.push(rows.map((u) => u.username));
        expect(pages.every((rows) => rows.length <= page)).toBe(true);
        expect(pages.flat()).toEqual([
          ...[0, 1, 2, 3, 4, 5, 6].flatMap((i) => [`op-${i}`, `home-${i}`]),
          'admin-city',
        ]);
      }
      expect((await auth.staffNames(3))[0]).toEqual({
        username: 'op-0',
        displayName: '值班员0',
        scope: 'north',
      });
      expect((await auth.staffNames(3))[1]).toEqual({ username: 'op-1', displayName: null, scope: 'north' });
      expect(
        (await auth.displayNamesOf(['home-3', 'op-1', 'nobody'])).sort((a, b) =>
          a.username.localeCompare(b.username),
        ),
      ).toEqual([
        { username: 'home-3', displayName: '住户3' },
        { username: 'op-1', displayName: null },
      ]);
      expect(await auth.displayNamesOf([])).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

/**
 * A username's identity is its NFKC, case-folded form, decided in JavaScript: SQLite's lower() folds
 * ASCII only, PostgreSQL's follows the server's locale, and neither folds full-width letters, which a
 * Chinese input method types as readily as half-width ones.
 */
describe.each(storeBackends('auth-names'))('usernames alike but for case or width (%s)', (_name, open) => {
  const pairs: [string, string][] = [
    ['wang', 'WANG'],
    ['Émile', 'émile'],
    ['ΑΛΦΑ', 'αλφα'],
    ['ΟΔΟΣ', 'οδοσ'],
    ['ｗａｎｇ', 'wang'],
    ['ＷＡＮＧ-1', 'wang-1'],
    ['E\u0301mile', 'Émile'],
    ['Straße', 'STRASSE'],
  ];

  it.each(pairs)('%s is taken for %s, by the lookup and by the unique index', async (first, second) => {
    const { store, cleanup } = await open();
    try {
      const auth = new AuthStore(store.k);
      const user = (username: string) => ({
        username,
        passwordHash: 'x',
        role: 'operator' as const,
        scope: 'north',
      });
      await store.users.create(user(first));
      expect([second, await auth.usernameLike(second)]).toEqual([second, first]);
      // Two admins adding the two names at once: the check passes for both, the index refuses one.
      expect([second, await store.users.createIfNew(user(second))]).toEqual([second, undefined]);
      expect(await auth.usernameLike('wang2')).toBeUndefined();
      // An accent is not case: Emile is another name than Émile.
      expect(await auth.usernameLike('Emile')).toBeUndefined();
    } finally {
      await cleanup();
    }
  });
});
