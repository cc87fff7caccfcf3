/**
 * Issue 13: the outbox purge beside the alarm path. On SQLite the purge's deletes run on the alarm
 * thread and the pages they free bring checkpoints sooner; it deletes 1,000 rows at a time with a
 * 20 ms rest between (src/outbox/outbox-purge.ts). Does a purge of a large backlog (an installation
 * upgraded after months without one) hold the panics up?
 *
 * In-process, as bench/decision-pages.ts: the event core with the workflow's hooks on one file, whose
 * outbox holds `--rows` rows 30 days old (copies of the rows real decisions wrote). Panics arrive one
 * every 2 ms, each opening an incident at a site of its own (then closed, untimed), while the purge
 * runs, then as many again with no purge; the order alternates by run. Timed: `EventCore.ingest`.
 * The bare tool in the same run: one `DELETE` of the same rows by better-sqlite3 on a copy of the
 * file: how long one statement would hold the thread.
 *
 *   npx tsx bench/outbox-purge.ts [--rows 300000] [--runs 3] [--chunk ROWS] [--rest MS]
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { OutboxPurge } from '../src/outbox/outbox-purge.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { cityYaml } from './lib/city.js';
import { decisionCore } from './lib/decisions.js';
import { fmt, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '300000' },
    runs: { type: 'string', default: '3' },
    // The purge's defaults unless given (src/outbox/outbox-purge.ts).
    chunk: { type: 'string' },
    rest: { type: 'string' },
  },
});
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const SITES = 1000;
const GAP_MS = 2;
const config = parseConfig(cityYaml(SITES), 'bench-city.yaml');

const core = (store: SqliteStore) => decisionCore(store, config, SITES).panic;

/** A file whose outbox holds ROWS rows 30 days old: copies of what 50 real decisions wrote. */
async function backlog(file: string): Promise<void> {
  const store = new SqliteStore(file);
  const panic = core(store);
  for (let i = 0; i < 50; i++) await panic('seed');
  const db = store.db;
  const seed = db.prepare('SELECT topic, incident_id, site, jurisdiction, payload FROM outbox').all() as {
    topic: string;
    incident_id: string | null;
    site: string | null;
    jurisdiction: string | null;
    payload: string;
  }[];
  db.exec('DELETE FROM outbox');
  const ins = db.prepare(
    'INSERT INTO outbox (at, topic, incident_id, site, jurisdiction, payload) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const old = Date.now() - 30 * 86_400_000;
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const r = seed[i % seed.length]!;
      ins.run(new Date(old + i).toISOString(), r.topic, r.incident_id, r.site, r.jurisdiction, r.payload);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  await store.close();
}

/** Panics one every GAP_MS until `stop(how many so far)`: their ingest times. */
async function panics(panic: (tag: string) => Promise<number>, tag: string, stop: (n: number) => boolean) {
  const times: number[] = [];
  while (!stop(times.length)) {
    times.push(await panic(tag));
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  return times;
}

console.log(`outbox-purge: ${ROWS} rows 30 days old, ${RUNS} runs, ${new Date().toISOString()}`);
const pooled = { purging: [] as number[], quiet: [] as number[] };
const bareMs: number[] = [];
const purgeMs: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-purge-'));
  const file = join(dir, 'sharpeyes.db');
  try {
    await backlog(file);
    // The bare tool: one statement deleting the same rows, on a copy.
    copyFileSync(file, join(dir, 'bare.db'));
    const bare = new Database(join(dir, 'bare.db'));
    bare.pragma('journal_mode = WAL');
    bare.pragma('synchronous = FULL');
    const last = (bare.prepare('SELECT max(seq) AS s FROM outbox').get() as { s: number }).s;
    const t0 = performance.now();
    bare.prepare('DELETE FROM outbox WHERE seq < ?').run(last);
    bareMs.push(performance.now() - t0);
    bare.close();

    const store = new SqliteStore(file);
    const panic = core(store);
    const purge = new OutboxPurge({
      k: store.k,
      keepDays: 7,
      sinks: () => [],
      log: silentLogger,
      metrics: new Metrics({ defaults: false }),
      ...(values.chunk ? { chunkRows: Number(values.chunk) } : {}),
      ...(values.rest ? { restMs: Number(values.rest) } : {}),
    });
    const times = { purging: [] as number[], quiet: [] as number[] };
    const phases = run % 2 === 0 ? (['purging', 'quiet'] as const) : (['quiet', 'purging'] as const);
    for (const phase of phases) {
      if (phase === 'purging') {
        let done = false;
        const p0 = performance.now();
        const purged = purge.purge().finally(() => {
          purgeMs.push(performance.now() - p0);
          done = true;
        });
        times.purging = await panics(panic, `r${run}p`, () => done);
        // All but the newest row, or all of them once the other phase's panics have written newer ones.
        const { deleted } = await purged;
        if (deleted < ROWS - 1) throw new Error(`purged ${deleted} of ${ROWS} rows`);
      } else {
        const n = times.purging.length || Math.round((ROWS / 1000) * 10);
        times.quiet = await panics(panic, `r${run}q`, (k) => k >= n);
      }
    }
    await store.close();
    const line = (k: 'purging' | 'quiet') => {
      const s = summary(times[k]);
      return `${k} ${times[k].length} panics p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} max ${fmt(s.max)}`;
    };
    console.log(
      `run ${run + 1}: purge ${(purgeMs.at(-1)! / 1000).toFixed(1)} s (${Math.round(ROWS / (purgeMs.at(-1)! / 1000))} rows/s) | ${line('purging')} | ${line('quiet')} | bare one DELETE ${fmt(bareMs.at(-1)!)}`,
    );
    pooled.purging.push(...times.purging);
    pooled.quiet.push(...times.quiet);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const q = summary(pooled.quiet);
const p = summary(pooled.purging);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`\nall runs (${RUNS} × a purge of ${ROWS} rows; a panic every ${GAP_MS} ms):`);
console.log('| | panics | ingest p50 | p99 | max |');
console.log('|---|---|---|---|---|');
console.log(`| no purge | ${pooled.quiet.length} | ${fmt(q.p50)} | ${fmt(q.p99)} | ${fmt(q.max)} |`);
console.log(
  `| during the purge (${(mean(purgeMs) / 1000).toFixed(1)} s a purge) | ${pooled.purging.length} | ${fmt(p.p50)} | ${fmt(p.p99)} | ${fmt(p.max)} |`,
);
console.log(
  `purging ÷ no purge: p50 ${(p.p50 / q.p50).toFixed(2)}×, p99 ${(p.p99 / q.p99).toFixed(2)}×; bare better-sqlite3, the same rows in one DELETE: ${fmt(mean(bareMs))} holding the thread`,
);
