/**
 * Issue 13/19 benchmark: the reports backfill beside the alarm path. After an upgrade (or a change of
 * the rating zone) the service projects every past incident into the reporting tables, a page of 200
 * at a time on the alarm thread's connection, yielding between pages and between slices of a page.
 * What matters to an alarm is the longest time the loop is held meanwhile.
 *
 * Set-up: `--incidents` (150,000) over 400 days written to a fresh SQLite file (WAL,
 * synchronous=FULL, the service's migrations). Timed, on one process:
 * - the backfill as the service runs it (`FactsBackfill`): its total time, each page's read of the
 *   next incident ids (`incidentPage`), each page's projection, each of its statements' groups
 *   (`sources`, `write`, `setState`: the ones that took over 10 ms are counted), and the gap between
 *   two turns of the event loop (a 1 ms interval timer) while it runs;
 * - the page read as it was until this change (`opened_at > ? OR (opened_at = ? AND id > ?)`), at the
 *   same cursors on the same file;
 * - the bare tool: better-sqlite3 reading the same pages with the row value, without Kysely.
 *
 *   npx tsx bench/reports-backfill.ts [--incidents 150000]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/log.js';
import { FactsBackfill } from '../src/reports/facts-backfill.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { cityYaml } from './lib/city.js';
import { summary } from './lib/harness.js';
import { reportsFor, seedHistory, unitsYaml } from './lib/report-history.js';

const { values } = parseArgs({ options: { incidents: { type: 'string', default: '150000' } } });
const N = Number(values.incidents);
const DAYS = 400;
const SITES = 401;

const OLD_PAGE = `select "id", "opened_at" from "incidents" where ("opened_at" > ? or ("opened_at" = ? and "id" > ?)) order by "opened_at", "id" limit ?`;
const BARE_PAGE = `select id, opened_at from incidents where (opened_at, id) > (?, ?) order by opened_at, id limit ?`;

const ms = (x: number) => `${x.toFixed(2)} ms`;
const line = (name: string, xs: number[]) => {
  const s = summary(xs);
  return `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`;
};

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-backfill-'));
try {
  const file = join(dir, 'sharpeyes.db');
  const store = new SqliteStore(file);
  const endMs = Date.now() - 3_600_000;
  const t0 = performance.now();
  await seedHistory(store.k, { n: N, days: DAYS, endMs, sites: SITES, units: 20 });
  const cfgFile = join(dir, 'city.yaml');
  writeFileSync(cfgFile, cityYaml(SITES) + unitsYaml(20));
  const { facts, projector, tz } = await reportsFor(
    store.k,
    store.dialect,
    cfgFile,
    endMs - DAYS * 86_400_000,
  );
  console.log(`${N} incidents over ${DAYS} days seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // The service's backfill, its steps timed where they run.
  const pageReads: number[] = [];
  const projections: number[] = [];
  const cursors: { openedAt: string; id: string }[] = [];
  const incidentPage = facts.incidentPage.bind(facts);
  facts.incidentPage = async (after, limit) => {
    const t = performance.now();
    const page = await incidentPage(after, limit);
    pageReads.push(performance.now() - t);
    if (after) cursors.push(after);
    return page;
  };
  const refresh = projector.refresh.bind(projector);
  projector.refresh = async (ids) => {
    const t = performance.now();
    const n = await refresh(ids);
    projections.push(performance.now() - t);
    return n;
  };
  // Each store call of the backfill holds the loop for as long as it takes (better-sqlite3 is
  // synchronous): the ones over 10 ms, by name.
  const slow = new Map<string, number[]>();
  for (const name of ['sources', 'write', 'setState', 'datesFromHistory'] as const) {
    const f = facts[name].bind(facts) as (...a: unknown[]) => Promise<unknown>;
    (facts as unknown as Record<string, unknown>)[name] = async (...a: unknown[]) => {
      const t = performance.now();
      try {
        return await f(...a);
      } finally {
        const took = performance.now() - t;
        if (took > 10) slow.set(name, [...(slow.get(name) ?? []), took]);
      }
    };
  }
  let last = performance.now();
  const gaps: number[] = [];
  const tick = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 1);
  const t1 = performance.now();
  const projected = await new FactsBackfill({ store: facts, projector, tz, log: silentLogger }).run();
  const total = (performance.now() - t1) / 1000;
  clearInterval(tick);

  // The same pages read the old way, and bare, on the same file.
  const old: number[] = [];
  const bare: number[] = [];
  const oldStmt = store.db.prepare(OLD_PAGE);
  const bareStmt = store.db.prepare(BARE_PAGE);
  for (const c of cursors) {
    let t = performance.now();
    oldStmt.all(c.openedAt, c.openedAt, c.id, 200);
    old.push(performance.now() - t);
    t = performance.now();
    bareStmt.all(c.openedAt, c.id, 200);
    bare.push(performance.now() - t);
  }
  await store.close();

  const g = summary(gaps);
  console.log(
    `\nbackfill: ${projected} incidents in ${total.toFixed(2)} s; event-loop gap (1 ms timer) p50 ${ms(g.p50)}, p99 ${ms(g.p99)}, longest ${ms(g.max)}\n`,
  );
  console.log('| step, a page of 200 | pages | p50 | p99 | max |\n|---|---|---|---|---|');
  console.log(line('the next page read, as the service reads it (row value)', pageReads));
  console.log(line('the same read as before (`OR`), same cursors', old));
  console.log(line('bare better-sqlite3, row value, same cursors', bare));
  console.log(line('the page projected (sliced, turns of the loop between)', projections));
  const held = [...slow].map(([k, v]) => `${k} ${v.length}× (longest ${ms(Math.max(...v))})`);
  console.log(`\nstore calls over 10 ms: ${held.join(', ') || 'none'}`);
  const s = summary(pageReads);
  const o = summary(old);
  const b = summary(bare);
  console.log(
    `\npage read p50: service ÷ bare ${(s.p50 / b.p50).toFixed(2)}×, before ÷ service ${(o.p50 / s.p50).toFixed(1)}×; max: before ${ms(o.max)}, service ${ms(s.max)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
