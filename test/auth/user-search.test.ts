import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AuthStore } from '../../src/auth/auth-store.js';
import { searchUsers } from '../../src/auth/user-search.js';
import { parseConfig } from '../../src/config/load.js';
import { Directory } from '../../src/core/directory.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { districtYaml, homeOwner, insertDistrictUsers } from '../helpers/district.js';
import { stopSharedPostgres, storeBackends } from '../helpers/postgres.js';

const CITY_YAML = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'web', 'console-city.yaml'),
  'utf8',
);
const HOMES = 1_200;

afterAll(() => stopSharedPostgres(), 60_000);

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/**
 * The users page's search runs on the alarm thread. On SQLite a read never lets the event loop turn
 * by itself (better-sqlite3 answers at once), so a search that read every user in one statement held
 * the thread for all of a district's owner accounts; a panic arriving then waited behind it.
 */
describe('the users page’s search beside the alarm path', () => {
  it('reads and matches a district’s 1,200 owners a page at a time, letting the event loop turn between pages', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-user-search-'));
    const store = new SqliteStore(join(dir, 'users.db'));
    try {
      const directory = new Directory(parseConfig(districtYaml(CITY_YAML, HOMES), 'city.yaml'));
      insertDistrictUsers(store, HOMES);
      await store.users.create({
        username: 'op-north',
        passwordHash: 'x',
        role: 'operator',
        scope: 'north',
        displayName: '赵警官',
      });
      const at = new Date().toISOString();
      const me = {
        id: 0,
        username: 'admin-city',
        role: 'admin' as const,
        scope: 'city',
        displayName: null,
        disabled: false,
      };

      let turns = 0;
      let ticking = true;
      const tick = (): void => {
        if (!ticking) return;
        turns++;
        setImmediate(tick);
      };
      setImmediate(tick);
      const page = await searchUsers(new AuthStore(store.k), directory, me, { q: '赵', limit: 20 }, at);
      ticking = false;

      // Store pages of 200: the loop turned between them.
      expect(turns).toBeGreaterThanOrEqual(2);
      // And the search found what it found before: every owner or desk with 赵 in the name, in username order.
      const expected = [
        ...Array.from({ length: HOMES }, (_, i) => homeOwner(i + 1))
          .filter((u) => u.displayName?.includes('赵'))
          .map((u) => u.username),
      ].sort();
      expect(page.total).toBe(expected.length + 1);
      expect(page.users.map((u) => u.username)).toEqual(['op-north', ...expected].sort().slice(0, 20));
      expect(page.missingScopes).toBe(0);
    } finally {
      await store.close();
    }
  });
});

/**
 * The search folds a username as the name's identity does (usernameKey: NFKC and Unicode case
 * folding), so an admin finds by any spelling the account the 409 of a new name says is taken; a
 * display name and a place's name fold alike (全角 letters, ß and ss, ς and σ).
 */
describe.each(storeBackends('user-fold'))(
  'the users page’s search folds as usernames are one (%s)',
  (_name, open) => {
    const me = {
      id: 0,
      username: 'admin-city',
      role: 'admin' as const,
      scope: 'city',
      displayName: null,
      disabled: false,
    };

    it.each([
      ['ss for ß', 'strasse', ['Straße']],
      ['ß for ss', 'GROSS', ['groß-amt']],
      ['full-width letters', 'ｗａｎｇ', ['wang']],
      ['a final sigma as σ', 'οδοσ', ['ΟΔΟΣ']],
      ['capitals of a display name in another script', 'ΆΝΝΑ', ['op-anna']],
      ['ss in a display name written with ß', 'weiss', ['op-w']],
      ['a display name in Chinese', '赵', ['op-zhao']],
    ])('finds by %s', async (_what, q, expected) => {
      const { store, cleanup } = await open();
      try {
        const directory = new Directory(parseConfig(CITY_YAML, 'city.yaml'));
        const add = (username: string, displayName?: string) =>
          store.users.create({
            username,
            passwordHash: 'x',
            role: 'operator',
            scope: 'north',
            ...(displayName ? { displayName } : {}),
          });
        await add('Straße');
        await add('groß-amt');
        await add('wang');
        await add('ΟΔΟΣ');
        await add('op-anna', 'Άννα');
        await add('op-w', 'Weiß');
        await add('op-zhao', '赵警官');
        const page = await searchUsers(
          new AuthStore(store.k),
          directory,
          me,
          { q },
          new Date().toISOString(),
        );
        expect([q, page.users.map((u) => u.username)]).toEqual([q, expected]);
      } finally {
        await cleanup();
      }
    });
  },
);
