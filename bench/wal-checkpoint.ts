/**
 * Issue 13 study: where SQLite's WAL checkpoint should run. By default (as the service runs it) the
 * commit that takes the log past 1,000 pages copies the log back into the database file and syncs it,
 * on the committing thread: one commit in some hundreds takes a few milliseconds more. The other way
 * is a second connection on a thread of its own checkpointing (PASSIVE) every `--every` ms, the
 * committing connection's own threshold raised to 10,000 pages.
 *
 * Both on bare better-sqlite3 (WAL, synchronous=FULL, a fresh file each run): a loop of commits of
 * `--rows` 2 KB rows each (an indexed column), one a turn of the event loop, for `--seconds`; the
 * commit times' p50 / p99 / p99.9 / max. The sides alternate, `--runs` times each.
 *
 *   npx tsx bench/wal-checkpoint.ts [--seconds 15] [--rows 8] [--every 200] [--runs 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { percentile } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    rows: { type: 'string', default: '8' },
    every: { type: 'string', default: '200' },
    runs: { type: 'string', default: '2' },
  },
});

// The checkpoint thread, as it would run beside the service (plain JavaScript, its own connection).
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = FULL');
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

async function run(side: 'inline' | 'thread'): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-wal-'));
  const file = join(dir, 'a.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, body TEXT); CREATE INDEX t_k ON t(k)');
  let worker: Worker | undefined;
  if (side === 'thread') {
    db.pragma('wal_autocheckpoint = 10000');
    worker = new Worker(CHECKPOINTER, {
      eval: true,
      workerData: {
        file,
        everyMs: Number(values.every),
        module: fileURLToPath(import.meta.resolve('better-sqlite3')),
      },
    });
  }
  const insert = db.prepare('INSERT INTO t (k, body) VALUES (?, ?)');
  const body = 'x'.repeat(2000);
  const commit = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) insert.run(Math.random().toString(36), body);
  });
  const times: number[] = [];
  const end = Date.now() + Number(values.seconds) * 1000;
  while (Date.now() < end) {
    const t = performance.now();
    commit(Number(values.rows));
    times.push(performance.now() - t);
    await new Promise((r) => setImmediate(r));
  }
  if (worker) {
    const exited = new Promise((r) => worker.once('exit', r));
    worker.postMessage('stop');
    await exited;
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return times.sort((a, b) => a - b);
}

const f = (x: number) => `${x.toFixed(2)} ms`;
console.log(
  `| run | checkpoint | commits | p50 | p99 | p99.9 | max | over 20 ms |\n|---|---|---|---|---|---|---|---|`,
);
for (let r = 1; r <= Number(values.runs); r++)
  for (const side of ['inline', 'thread'] as const) {
    const t = await run(side);
    console.log(
      `| ${r} | ${side === 'inline' ? 'in the commit (SQLite default)' : `own thread, every ${values.every} ms`} | ${t.length} | ${f(percentile(t, 50))} | ${f(percentile(t, 99))} | ${f(percentile(t, 99.9))} | ${f(t.at(-1) ?? 0)} | ${t.filter((x) => x > 20).length} |`,
    );
  }
