import type { Role } from '../../src/store/repositories.js';
import type { SqliteStore } from '../../src/store/sqlite.js';
import { usernameKey } from '../../src/store/username-key.js';
import type { TestService } from './service.js';

/**
 * A district that fitted its homes with alarm phones: `homes` household sites added to a city's YAML
 * (that of test/fixtures/web/console-city.yaml, whose grid cells they go under), the first two thirds
 * in 北城 (幸福里小区), the rest in 南城 (南湖花园). Home `i` is `home-0001`… Names are invented. With
 * `phones`, each home also gets its alarm phone `phone-<i>` with one zone, 入户门.
 */
export function districtYaml(cityYaml: string, homes: number, opts: { phones?: boolean } = {}): string {
  const lines: string[] = [];
  const phones: string[] = [];
  for (let i = 1; i <= homes; i++) {
    const north = i <= Math.ceil((homes * 2) / 3);
    const estate = north ? '幸福里小区' : '南湖花园';
    const grid = north ? (i % 2 === 0 ? 'north-grid-2' : 'north-grid-1') : 'south-grid-1';
    const lat = north ? 39.335 + (i % 50) * 0.0001 : 39.32 + (i % 50) * 0.0001;
    lines.push(
      `  - { id: ${homeId(i)}, name: ${estate}${homeRoom(i)}, jurisdiction: ${grid}, kind: household, location: { lat: ${lat.toFixed(4)}, lon: 112.43 } }`,
    );
    if (opts.phones)
      phones.push(
        `  - { id: phone-${i}, site: ${homeId(i)}, secret: secret-phone-${i}, zones: { "1": { name: 入户门 } } }`,
      );
  }
  if (!/^sites:\n/m.test(cityYaml)) throw new Error('districtYaml: the city YAML has no sites list');
  if (opts.phones && !/^panels:\n/m.test(cityYaml))
    throw new Error('districtYaml: the city YAML has no panels list');
  return cityYaml
    .replace(/^sites:\n/m, `sites:\n${lines.join('\n')}\n`)
    .replace(/^panels:\n/m, phones.length > 0 ? `panels:\n${phones.join('\n')}\n` : 'panels:\n');
}

export const homeId = (i: number): string => `home-${String(i).padStart(4, '0')}`;
/** "3号楼2单元201", from the home's number. */
const homeRoom = (i: number): string =>
  `${1 + ((i - 1) % 12)}号楼${1 + (Math.floor((i - 1) / 12) % 3)}单元${101 + (Math.floor((i - 1) / 36) % 6) * 100 + (i % 2)}`;

const SURNAMES = [...'王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗'];
const GIVEN = '建国 秀英 桂兰 志强 海燕 明 丽 军 敏 静 晓东 春梅 立新 玉兰 伟'.split(' ');

export interface SeededUser {
  username: string;
  role: Role;
  scope: string;
  displayName?: string | null;
  disabled?: boolean;
}

/** Home `i`'s owner: `owner-0001`, a site user of `home-0001`, with a Chinese name. */
export function homeOwner(i: number): SeededUser {
  return {
    username: `owner-${String(i).padStart(4, '0')}`,
    role: 'site',
    scope: homeId(i),
    displayName: `${SURNAMES[i % SURNAMES.length]}${GIVEN[Math.floor(i / SURNAMES.length) % GIVEN.length]}`,
  };
}

/**
 * Puts users straight into the store, thousands in seconds: no password hashing (they cannot log in),
 * and no check of their scope, so a test can also seed a user whose site left the config.
 */
export async function seedUsers(svc: TestService, users: readonly SeededUser[]): Promise<void> {
  const store = svc.svc.need('store');
  const auth = svc.svc.need('auth').store;
  for (const u of users) {
    const created = await store.users.create({
      username: u.username,
      passwordHash: 'seeded: no password logs in',
      role: u.role,
      scope: u.scope,
      displayName: u.displayName ?? null,
    });
    if (u.disabled) await auth.setDisabled(created.id, true, new Date().toISOString());
  }
}

/**
 * Home owners 1 to `owners` (`homeOwner`) and `staff` desks (`038500`…, of 北城 and 南城 in turn)
 * straight into a SQLite store's users table in one transaction: thousands in milliseconds, and
 * none of them can log in.
 */
export function insertDistrictUsers(store: SqliteStore, owners: number, staff = 0): void {
  const at = new Date().toISOString();
  const insert = store.db.prepare(
    'INSERT INTO users (username, username_key, password_hash, role, scope, display_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const row = (username: string, role: string, scope: string, displayName: string | null) =>
    insert.run(username, usernameKey(username), 'x', role, scope, displayName, at);
  store.db.transaction(() => {
    for (let i = 1; i <= owners; i++) {
      const u = homeOwner(i);
      row(u.username, u.role, u.scope, u.displayName ?? null);
    }
    for (let i = 0; i < staff; i++)
      row(`0385${String(i).padStart(2, '0')}`, 'operator', i % 2 ? 'north' : 'south', `值班员${i}`);
  })();
}
