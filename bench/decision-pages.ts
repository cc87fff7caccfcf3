/**
 * Issue 13, migration 112: what a decision's pages cost. A commit writes a page of every b-tree it
 * touches; with `synchronous = FULL` each is written to the log and synced before the PUBACK, and
 * SQLite copies the log back into the file (its checkpoint, inside a commit) every 1,000 pages.
 *
 * In-process, on this disk: the event core with the workflow's hooks (the plan chosen with the
 * incident, as the service does) deciding panics that each open an incident at a site of their own,
 * each then closed (untimed), on two files side by side: the schema before migration 112 and the
 * schema now. They take turns panic by panic (the order alternating), so the disk's noise falls on
 * both. The bare tool in the same run: better-sqlite3 inserting one row per commit into a one-index
 * table on a third file (what bench/panic-recording.ts's bare Aedes + SQLite does for each panic).
 *
 * Timed: `EventCore.ingest` (the decision, its commit and fsync). Counted: the log's pages per
 * decision and per close (from the write-ahead log of a separate pass without checkpoints).
 *
 *   npx tsx bench/decision-pages.ts [--panics 1000] [--runs 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/load.js';
import { MIGRATIONS } from '../src/store/migrations/index.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { walCommits } from '../test/helpers/wal.js';
import { cityYaml } from './lib/city.js';
import { bareSqlite, decisionCore } from './lib/decisions.js';
import { fmt, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: { panics: { type: 'string', default: '1000' }, runs: { type: 'string', default: '3' } },
});
const PANICS = Number(values.panics);
const RUNS = Number(values.runs);
const SITES = PANICS;

/** The panic benches' city (bench/lib/city.ts): a site and a panel for each panic. */
const config = parseConfig(cityYaml(SITES), 'bench-city.yaml');

type Schema = 'before' | 'after';
const SCHEMAS: Record<Schema, typeof MIGRATIONS> = {
  before: MIGRATIONS.filter((m) => m.version < 112),
  after: MIGRATIONS,
};

/** The event core on a file of its own at `schema`, as the service builds it (no sinks). */
function side(dir: string, schema: Schema) {
  const store = new SqliteStore(join(dir, `${schema}.db`), SCHEMAS[schema]);
  return { store, ...decisionCore(store, config, SITES) };
}

/** Pages per decision and per close at `schema`: 200 panics after 300, without checkpoints. */
async function pagesOf(schema: Schema): Promise<{ decision: number; close: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pages-'));
  const s = side(dir, schema);
  try {
    for (let i = 0; i < 300; i++) await s.panic('warm');
    s.store.db.pragma('wal_autocheckpoint = 0');
    s.store.db.pragma('wal_checkpoint(TRUNCATE)');
    for (let i = 0; i < 200; i++) await s.panic('count');
    // Each panic is two commits: the decision, then the close.
    const sizes = walCommits(join(dir, `${schema}.db-wal`)).map((pages) => pages.length);
    if (sizes.length !== 400) throw new Error(`${schema}: ${sizes.length} commits in the log, not 400`);
    const mean = (odd: number) => sizes.filter((_, i) => i % 2 === odd).reduce((a, b) => a + b, 0) / 200;
    return { decision: mean(0), close: mean(1) };
  } finally {
    await s.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`decision-pages: ${PANICS} panics per side and run, ${RUNS} runs, ${new Date().toISOString()}`);
const pages = { before: await pagesOf('before'), after: await pagesOf('after') };
console.log(
  `pages written to the log: before 112 a decision ${pages.before.decision.toFixed(1)}, a close ${pages.before.close.toFixed(1)}; after, ${pages.after.decision.toFixed(1)} and ${pages.after.close.toFixed(1)}`,
);

const pooled: Record<Schema | 'bare', number[]> = { before: [], after: [], bare: [] };
for (let run = 0; run < RUNS; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-decision-'));
  const sides = { before: side(dir, 'before'), after: side(dir, 'after') };
  const b = bareSqlite(dir);
  const times: Record<Schema | 'bare', number[]> = { before: [], after: [], bare: [] };
  try {
    for (let i = 0; i < PANICS; i++) {
      const order: Schema[] = (i + run) % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
      for (const s of order) times[s].push(await sides[s].panic(`r${run}`));
      times.bare.push(b.panic());
    }
  } finally {
    await sides.before.store.close();
    await sides.after.store.close();
    b.db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const line = (k: Schema | 'bare') => {
    const s = summary(times[k]);
    return `${k} p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} max ${fmt(s.max)}`;
  };
  console.log(`run ${run + 1}: ${line('before')} | ${line('after')} | ${line('bare')}`);
  for (const k of ['before', 'after', 'bare'] as const) pooled[k].push(...times[k]);
}

const bareS = summary(pooled.bare);
console.log(
  `\nall runs (${RUNS} × ${PANICS} panics a side; each panic opens an incident, which is then closed):`,
);
console.log('| schema | pages a decision | a close | ingest p50 | p99 | max | p99 ÷ bare |');
console.log('|---|---|---|---|---|---|---|');
for (const k of ['before', 'after'] as const) {
  const s = summary(pooled[k]);
  console.log(
    `| ${k === 'before' ? 'before 112 (111)' : 'after 112'} | ${pages[k].decision.toFixed(1)} | ${pages[k].close.toFixed(1)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} | ${(s.p99 / bareS.p99).toFixed(2)}× |`,
  );
}
console.log(
  `| bare better-sqlite3, a row a commit | — | — | ${fmt(bareS.p50)} | ${fmt(bareS.p99)} | ${fmt(bareS.max)} | 1.00× |`,
);
