/**
 * 系统状态's history on the alarm thread: each node writes one row a minute (`system_minutes`, a
 * relaxed commit through Kysely) and a supervisor's page reads a range every minute (one grouped
 * read: a minute a point up to six hours, 30-minute steps for a week). How long does each hold the
 * thread, with `--days` of rows stored (31 by default, `storage.systemHistoryDays`)?
 *
 * The bare tool in the same run, taking turns: better-sqlite3 on a copy of the same file running
 * the same statements (the SQL Kysely compiled), with the same pragmas (the write in a NORMAL commit),
 * each range in one statement. The service reads two hours at a time with a turn of the loop between:
 * its whole read, and the longest it held the thread (a chain of setImmediate beside it).
 *
 *   npx tsx bench/system-history.ts [--days 31] [--nodes 1] [--runs 200]
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { type MinuteSample, SystemHistoryStore, stepFor } from '../src/health/system-history.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { fmt, holds, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '31' },
    nodes: { type: 'string', default: '1' },
    runs: { type: 'string', default: '200' },
  },
});
const DAYS = Number(values.days);
const NODES = Number(values.nodes);
const RUNS = Number(values.runs);
const MIN = 60_000;

const sample: MinuteSample = {
  committed: 5,
  waitP50Ms: 0.6,
  waitP99Ms: 2.1,
  waitMaxMs: 3.4,
  sinksFailing: 0,
  sinksBehind: 0,
  sinksBehindSeconds: 0,
  loopP99Ms: 0.4,
  loopMaxMs: 6.2,
  panels: { panels: 4000, online: 3998 },
  cameras: { cameras: 64, up: 64 },
};

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-history-'));
try {
  const file = join(dir, 'sharpeyes.db');
  const store = new SqliteStore(file);
  const rows = new SystemHistoryStore(store.k);
  const end = Math.floor(Date.now() / MIN) * MIN;
  // The stored history, written in one transaction (untimed).
  store.db.transaction(() => {
    const ins = store.db.prepare(
      `INSERT INTO system_minutes (minute, node, committed, wait_p50_ms, wait_p99_ms, wait_max_ms, sinks_failing,
         sinks_behind, sinks_behind_seconds, loop_p99_ms, loop_max_ms, started, panels, panels_online, cameras, cameras_up)
       VALUES (?, ?, 5, 0.6, 2.1, 3.4, 0, 0, 0, 0.4, 6.2, 0, 4000, 3998, 64, 64)`,
    );
    for (let m = DAYS * 1440; m > RUNS; m--) for (let n = 0; n < NODES; n++) ins.run(end - m * MIN, `n${n}`);
  })();
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  copyFileSync(file, join(dir, 'bare.db'));
  const bare = new Database(join(dir, 'bare.db'));
  bare.pragma('journal_mode = WAL');
  bare.pragma('synchronous = FULL');

  // The statements Kysely sends, run bare.
  const insertBare = bare.prepare(
    `insert into "system_minutes" ("minute", "node", "committed", "wait_p50_ms", "wait_p99_ms", "wait_max_ms",
       "sinks_failing", "sinks_behind", "sinks_behind_seconds", "loop_p99_ms", "loop_max_ms", "started", "panels",
       "panels_online", "cameras", "cameras_up")
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict ("minute", "node") do nothing`,
  );
  const writeBare = (minute: number) => {
    bare.pragma('synchronous = NORMAL');
    try {
      bare.transaction(() =>
        insertBare.run(minute, 'n0', 5, 0.6, 2.1, 3.4, 0, 0, 0, 0.4, 6.2, 0, 4000, 3998, 64, 64),
      )();
    } finally {
      bare.pragma('synchronous = FULL');
    }
  };

  const service: number[] = [];
  const bareWrites: number[] = [];
  for (let i = RUNS; i > 0; i--) {
    const minute = end - i * MIN;
    let t = performance.now();
    await rows.write('n0', minute, sample);
    service.push(performance.now() - t);
    t = performance.now();
    writeBare(minute);
    bareWrites.push(performance.now() - t);
  }
  const line = (what: string, a: number[], b: number[]) => {
    const s = summary(a);
    const x = summary(b);
    return `| ${what} | ${fmt(s.p50)} / ${fmt(s.p99)} / ${fmt(s.max)} | ${fmt(x.p50)} / ${fmt(x.p99)} / ${fmt(x.max)} | ${(s.p50 / x.p50).toFixed(2)}× |`;
  };
  console.log(
    `\n${DAYS} days of history, ${NODES} node(s): ${(DAYS * 1440 * NODES).toLocaleString('en')} rows; ${RUNS} runs each, taking turns\n`,
  );
  console.log('| what | service p50 / p99 / max | bare better-sqlite3 p50 / p99 / max | p50 ÷ bare |');
  console.log('|---|---|---|---|');
  console.log(line("a minute's row (relaxed commit)", service, bareWrites));

  for (const hours of [1, 6, 24, 168]) {
    const from = end - hours * 60 * MIN;
    const step = stepFor(hours * 60);
    const readService: number[] = [];
    const holdService: number[] = [];
    const readBare: number[] = [];
    // The grouped read as SystemHistoryStore.read has Kysely write it.
    const stmt = bare.prepare(
      `select "m"."step", sum("m"."nodes") as "minutes", sum("m"."committed") as "committed", max("m"."p50") as "p50",
         max("m"."p99") as "p99", max("m"."max") as "max", max("m"."failing") as "failing",
         sum(CASE WHEN m.failing > 0 THEN 1 ELSE 0 END) as "failing_minutes", max("m"."behind") as "behind",
         max("m"."behind_s") as "behind_s", max("m"."loop_p99") as "loop_p99", max("m"."loop_max") as "loop_max", sum("m"."started") as "starts",
         max("m"."panels") as "panels", min("m"."panels_online") as "panels_online",
         max("m"."cameras") as "cameras", min("m"."cameras_up") as "cameras_up"
       from (select (minute - ${from}) / ${step * MIN} as "step", count("node") as "nodes", sum("committed") as "committed",
         max("wait_p50_ms") as "p50", max("wait_p99_ms") as "p99", max("wait_max_ms") as "max",
         sum("sinks_failing") as "failing", max("sinks_behind") as "behind", max("sinks_behind_seconds") as "behind_s",
         max("loop_p99_ms") as "loop_p99", max("loop_max_ms") as "loop_max", sum("started") as "started",
         max("panels") as "panels", max("panels_online") as "panels_online", max("cameras") as "cameras",
         sum("cameras_up") as "cameras_up"
         from "system_minutes" where "minute" >= ? and "minute" < ? group by "minute") as "m"
       group by "m"."step" order by "m"."step"`,
    );
    const nodesStmt = bare.prepare(
      `select "node", min("minute") as "first" from "system_minutes" where "minute" >= ? and "minute" < ? group by "node" order by "node"`,
    );
    for (let r = 0; r < 30; r++) {
      const probe = holds();
      let t = performance.now();
      const h = await rows.read(from, end, step);
      readService.push(performance.now() - t);
      holdService.push(probe.stop());
      t = performance.now();
      const b = stmt.all(from, end);
      nodesStmt.all(from, end);
      readBare.push(performance.now() - t);
      if (r === 0 && b.length !== h.points.length)
        throw new Error(`bare read ${b.length} points, service ${h.points.length}`);
    }
    console.log(
      line(`read ${hours} h (${stepFor(hours * 60)}-minute steps), whole read`, readService, readBare),
    );
    console.log(line(`read ${hours} h, the thread held at most`, holdService, readBare));
  }
  bare.close();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
