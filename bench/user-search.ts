/**
 * Issue 13: the admin users page's search (src/auth/user-search.ts) runs on the alarm thread. In a
 * district of 4,000 homes whose owners have accounts, what one search holds the thread for, as the
 * longest stretch between two turns of the event loop while it runs (a panic arriving then waits
 * that long), and the search's whole time:
 *
 * - every user read in one statement, then matched (stop 52 and before: the same query and filter);
 * - read and matched a store page of 200 at a time, a turn of the loop between (now);
 * - bare better-sqlite3 reading every user's six columns in one statement (the bare tool; it matches
 *   nothing).
 *
 * The three take turns, one search each, over many rounds, on one SQLite file.
 *
 *   npx tsx bench/user-search.ts [--owners 4000] [--staff 120] [--rounds 300]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthStore } from '../src/auth/auth-store.js';
import { managesUser, scopeMissing, scopeName } from '../src/auth/user-place.js';
import { fold, searchUsers } from '../src/auth/user-search.js';
import { parseConfig } from '../src/config/load.js';
import { Directory } from '../src/core/directory.js';
import type { User } from '../src/store/repositories.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { districtYaml, insertDistrictUsers } from '../test/helpers/district.js';
import { districtUserArgs } from './lib/district-users.js';
import { fmt, holds, summary } from './lib/harness.js';

const { owners: OWNERS, staff: STAFF, rounds: ROUNDS } = districtUserArgs();

const cityYaml = readFileSync(
  join(import.meta.dirname, '..', 'test', 'fixtures', 'web', 'console-city.yaml'),
  'utf8',
);
const directory = new Directory(parseConfig(districtYaml(cityYaml, OWNERS), 'city.yaml'));
const dir = mkdtempSync(join(tmpdir(), 'user-search-'));
const store = new SqliteStore(join(dir, 'sharpeyes.db'));
const at = new Date().toISOString();
insertDistrictUsers(store, OWNERS, STAFF);
const auth = new AuthStore(store.k);
const me: User = {
  id: 0,
  username: 'admin-city',
  role: 'admin',
  scope: 'city',
  displayName: null,
  disabled: false,
};
const QUERY = { q: '王', limit: 50 };

/** Stop 52's search: every user in one statement, then the same filter. */
const oneRead = async () => {
  const all = (
    await store.k
      .selectFrom('users as u')
      .select(['u.id', 'u.username', 'u.role', 'u.scope', 'u.display_name', 'u.disabled'])
      .execute()
  )
    .map((r) => ({
      id: Number(r.id),
      username: r.username,
      role: r.role as User['role'],
      scope: r.scope,
      displayName: r.display_name,
      disabled: Number(r.disabled) === 1,
    }))
    .filter((u) => managesUser(directory, me, u));
  const words = fold(QUERY.q).split(/\s+/u);
  const matches = all.filter((u) => {
    const text = fold([u.username, u.displayName ?? '', u.scope, scopeName(directory, u) ?? ''].join('\n'));
    return words.every((w) => text.includes(w));
  });
  matches.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  const page = matches.slice(0, QUERY.limit);
  const users = await auth.listUsers(
    at,
    page.map((u) => u.id),
  );
  void all.filter((u) => scopeMissing(directory, u)).length;
  return { total: matches.length, first: users[0]?.username };
};
const paged = async () => {
  const p = await searchUsers(auth, directory, me, QUERY, at);
  return { total: p.total, first: p.users[0]?.username };
};
const bareStmt = store.db.prepare('SELECT id, username, role, scope, display_name, disabled FROM users');
const bare = async () => ({ total: (bareStmt.all() as unknown[]).length, first: undefined });

/** Runs `fn`: its whole time, and the longest stretch between two turns of the loop meanwhile. */
async function held(fn: () => Promise<{ total: number; first: string | undefined }>) {
  const probe = holds();
  const t0 = performance.now();
  const out = await fn();
  const whole = performance.now() - t0;
  const longest = probe.stop();
  await new Promise<void>((resolve) => setImmediate(resolve));
  return { whole, longest, out };
}

const sides = {
  'one read, then matched (stop 52)': oneRead,
  'a page of 200 at a time (now)': paged,
  'bare better-sqlite3, every user': bare,
};
const times: Record<string, { whole: number[]; longest: number[] }> = Object.fromEntries(
  Object.keys(sides).map((k) => [k, { whole: [], longest: [] }]),
);
const found: Record<string, string> = {};
for (let round = 0; round < ROUNDS + 20; round++) {
  const order = Object.entries(sides);
  if (round % 2) order.reverse();
  for (const [name, fn] of order) {
    const r = await held(fn);
    found[name] = `${r.out.total}${r.out.first ? ` (first ${r.out.first})` : ''}`;
    if (round >= 20) {
      times[name]!.whole.push(r.whole);
      times[name]!.longest.push(r.longest);
    }
  }
}

console.log(
  `${OWNERS} owners, ${STAFF} staff; the city admin searches "${QUERY.q}"; ${ROUNDS} searches a side, taking turns`,
);
console.log(
  '| the search | found | longest hold p50 | p99 | max | whole search p50 | p99 | hold p50 ÷ bare |',
);
console.log('|---|---|---|---|---|---|---|---|');
const bareHold = summary(times['bare better-sqlite3, every user']!.longest).p50;
for (const [name, t] of Object.entries(times)) {
  const h = summary(t.longest);
  const w = summary(t.whole);
  console.log(
    `| ${name} | ${found[name]} | ${fmt(h.p50)} | ${fmt(h.p99)} | ${fmt(h.max)} | ${fmt(w.p50)} | ${fmt(w.p99)} | ${(h.p50 / bareHold).toFixed(2)}× |`,
  );
}
await store.close();
rmSync(dir, { recursive: true, force: true });
