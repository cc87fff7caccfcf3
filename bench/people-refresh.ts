/**
 * Issue 13: the desks' names (src/auth/people-names.ts) are read again every minute on the alarm
 * thread. What one refresh holds the thread for, in a district of 4,000 homes whose owners have
 * accounts (role `site`) beside 120 staff:
 *
 * - every user with a display name, as stop 51 built it (`AuthStore` before this stop, the same query);
 * - the staff only, as now (`AuthStore.staffNames`, what `PeopleNames` reads);
 * - bare better-sqlite3 reading the staff's three columns on the same file (the bare tool).
 *
 * The three take turns, one read each, over many rounds; the time is the read through to its rows as
 * `PeopleNames` keeps them (wall time on this thread: a panic arriving then waits that long).
 *
 *   npx tsx bench/people-refresh.ts [--owners 4000] [--staff 120] [--rounds 300]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthStore } from '../src/auth/auth-store.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { insertDistrictUsers } from '../test/helpers/district.js';
import { districtUserArgs } from './lib/district-users.js';
import { fmt, summary } from './lib/harness.js';

const { owners: OWNERS, staff: STAFF, rounds: ROUNDS } = districtUserArgs();

const dir = mkdtempSync(join(tmpdir(), 'people-refresh-'));
const store = new SqliteStore(join(dir, 'sharpeyes.db'));
insertDistrictUsers(store, OWNERS, STAFF);
const auth = new AuthStore(store.k);

/** Stop 51's read: every user's display name. */
const everyone = async () => {
  const rows = await store.k
    .selectFrom('users')
    .select(['username', 'display_name'])
    .where('display_name', 'is not', null)
    .execute();
  const names = new Map<string, string>();
  for (const r of rows) if (r.display_name) names.set(r.username, r.display_name);
  return names.size;
};
const staffOnly = async () => {
  const names = new Map<string, string>();
  const scopes = new Map<string, string>();
  for (const r of await auth.staffNames()) {
    if (r.displayName) names.set(r.username, r.displayName);
    scopes.set(r.username, r.scope);
  }
  return scopes.size;
};
const bareStmt = store.db.prepare("SELECT username, display_name, scope FROM users WHERE role != 'site'");
const bare = async () => (bareStmt.all() as unknown[]).length;

const sides = {
  'every user (stop 51)': everyone,
  'staff only (now)': staffOnly,
  'bare better-sqlite3, staff': bare,
};
const times: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
const counts: Record<string, number> = {};
for (let round = 0; round < ROUNDS + 20; round++) {
  const order = Object.entries(sides);
  if (round % 2) order.reverse();
  for (const [name, fn] of order) {
    const t0 = performance.now();
    counts[name] = await fn();
    const ms = performance.now() - t0;
    if (round >= 20) times[name]!.push(ms); // the first rounds warm the statements
  }
}

console.log(`${OWNERS} site users, ${STAFF} staff, ${ROUNDS} refreshes a side, taking turns`);
console.log('| the refresh | rows kept | p50 | p99 | max | p50 ÷ bare |');
console.log('|---|---|---|---|---|---|');
const bareP50 = summary(times['bare better-sqlite3, staff']!).p50;
for (const [name, t] of Object.entries(times)) {
  const s = summary(t);
  console.log(
    `| ${name} | ${counts[name]} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} | ${(s.p50 / bareP50).toFixed(2)}× |`,
  );
}
await store.close();
rmSync(dir, { recursive: true, force: true });
