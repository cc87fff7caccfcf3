/**
 * Issue 13, stop 41: the decision's fsync off the alarm thread. A decision's commit holds the alarm
 * thread for its fsync (`synchronous = FULL`): a third of the service's own PUBACK time at p50, most
 * of its tail, and its rare 100–200 ms stalls (bench/README.md "Stop 40"). The lever left named was a
 * SQLite writer thread; what it would buy is measured here, without building it: the same decision
 * committed three ways, the time until it is durable (what a PUBACK waits for) and how long the
 * alarm thread is held (what every other panel's panic, console and health check waits behind).
 *
 * - `thread`: today. `synchronous = FULL`: the commit writes the log and fsyncs it on the thread.
 * - `pool`: `synchronous = NORMAL` (the commit writes the log, no fsync), then `fsync` of the log
 *   file in libuv's pool (`fs.fsync`); durable when its callback runs.
 * - `worker`: the same, the fsync in a worker thread of its own, woken through a shared word
 *   (`Atomics.notify`); durable when its message arrives.
 *
 * In-process, the event core with the workflow's hooks (bench/lib/decisions.ts) on three files side
 * by side, taking turns panic by panic (the order rotating), while a child process appends to 32
 * files as 32 recording cameras would (100 KB/s each, a sync every 4 s) and keeps a core 60 % busy in
 * 3 ms bursts (`--load off`: neither). The bare tool in the same run: better-sqlite3 inserting one row
 * per `synchronous = FULL` commit (bench/decision-pages.ts's bare side).
 *
 *   npx tsx bench/decision-fsync-thread.ts [--panics 1000] [--runs 3] [--load on|off]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fsync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { parseConfig } from '../src/config/load.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { cityYaml } from './lib/city.js';
import { bareSqlite, decisionCore } from './lib/decisions.js';
import { fmt, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    panics: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    load: { type: 'string', default: 'on' },
  },
});
const PANICS = Number(values.panics);
const RUNS = Number(values.runs);
const config = parseConfig(cityYaml(PANICS), 'bench-city.yaml');

type Way = 'thread' | 'pool' | 'worker';
const WAYS: Way[] = ['thread', 'pool', 'worker'];

/** 32 cameras' appends and a core 60 % busy, in a child process (not measured). */
function startLoad(): ChildProcess {
  const script = `
    const fs = require('node:fs');
    const dir = fs.mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'bench-camload-'));
    const fds = Array.from({ length: 32 }, (_, i) => fs.openSync(dir + '/c' + i, 'w'));
    const chunk = Buffer.alloc(20000, 1);
    let n = 0;
    setInterval(() => {
      for (const fd of fds) fs.writeSync(fd, chunk);
      if (++n % 20 === 0) for (const fd of fds) fs.fdatasyncSync(fd);
    }, 200);
    setInterval(() => { const t = Date.now(); while (Date.now() - t < 3); }, 5);
    process.on('SIGTERM', () => { fs.rmSync(dir, { recursive: true, force: true }); process.exit(0); });`;
  return spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
}

/** A worker thread that fsyncs `fd` each time it is woken, and says so. */
function fsyncWorker(fd: number) {
  const word = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const fs = require('node:fs');
     const word = workerData.word;
     for (;;) {
       Atomics.wait(word, 0, 0);
       Atomics.store(word, 0, 0);
       fs.fsyncSync(workerData.fd);
       parentPort.postMessage(0);
     }`,
    { eval: true, workerData: { word, fd } },
  );
  let waiting: (() => void) | undefined;
  worker.on('message', () => waiting?.());
  return {
    sync: () =>
      new Promise<void>((resolve) => {
        waiting = resolve;
        Atomics.store(word, 0, 1);
        Atomics.notify(word, 0);
      }),
    stop: () => worker.terminate(),
  };
}

function side(dir: string, way: Way) {
  const store = new SqliteStore(join(dir, `${way}.db`));
  const core = decisionCore(store, config, PANICS);
  if (way === 'thread') return { store, core, sync: async () => {}, stop: async () => {} };
  store.db.pragma('synchronous = NORMAL');
  const fd = openSync(join(dir, `${way}.db-wal`), 'r');
  if (way === 'pool') {
    const sync = () => new Promise<void>((res, rej) => fsync(fd, (err) => (err ? rej(err) : res())));
    return { store, core, sync, stop: async () => {} };
  }
  const w = fsyncWorker(fd);
  return { store, core, sync: w.sync, stop: async () => void (await w.stop()) };
}

const load = values.load === 'off' ? undefined : startLoad();
console.log(
  `decision-fsync-thread: ${PANICS} panics per side and run, ${RUNS} runs, load ${values.load}, ${new Date().toISOString()}`,
);
type Times = { durable: number[]; held: number[] };
const pooled = new Map<Way, Times>(WAYS.map((w) => [w, { durable: [], held: [] }]));
const pooledBare: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-fsync-thread-'));
    const sides = WAYS.map((way) => ({ way, ...side(dir, way) }));
    const b = bareSqlite(dir);
    const times = new Map<Way, Times>(WAYS.map((w) => [w, { durable: [], held: [] }]));
    const bareTimes: number[] = [];
    try {
      for (let i = 0; i < PANICS; i++) {
        const k = (i + run) % sides.length;
        for (const s of [...sides.slice(k), ...sides.slice(0, k)]) {
          // `held`: the decision and its commit, on the thread; `durable`: until its log is synced.
          const held = await s.core.panic(`r${run}`);
          const t1 = performance.now();
          await s.sync();
          const t = times.get(s.way)!;
          t.held.push(held);
          t.durable.push(held + (performance.now() - t1));
        }
        bareTimes.push(b.panic());
      }
    } finally {
      for (const s of sides) {
        await s.stop();
        await s.store.close();
      }
      b.db.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const cells = WAYS.map((w) => {
      const t = times.get(w)!;
      const d = summary(t.durable);
      const h = summary(t.held);
      pooled.get(w)!.durable.push(...t.durable);
      pooled.get(w)!.held.push(...t.held);
      return `${w}: durable p50 ${fmt(d.p50)} p99 ${fmt(d.p99)}, thread held p50 ${fmt(h.p50)} p99 ${fmt(h.p99)}`;
    });
    const bs = summary(bareTimes);
    pooledBare.push(...bareTimes);
    console.log(`run ${run + 1}: ${cells.join(' | ')} | bare p50 ${fmt(bs.p50)} p99 ${fmt(bs.p99)}`);
  }
} finally {
  load?.kill('SIGTERM');
}

const bareS = summary(pooledBare);
console.log(`\nall runs (${RUNS} × ${PANICS} panics a side; each opens an incident, then closed untimed):`);
console.log(
  '| the decision’s fsync | until durable p50 | p99 | max | alarm thread held p50 | p99 | max | durable p99 ÷ bare |',
);
console.log('|---|---|---|---|---|---|---|---|');
const names: Record<Way, string> = {
  thread: 'on the alarm thread (FULL; today)',
  pool: 'in libuv’s pool (NORMAL, then `fs.fsync`)',
  worker: 'in a worker thread of its own (NORMAL, then `fsyncSync`)',
};
for (const w of WAYS) {
  const d = summary(pooled.get(w)!.durable);
  const h = summary(pooled.get(w)!.held);
  console.log(
    `| ${names[w]} | ${fmt(d.p50)} | ${fmt(d.p99)} | ${fmt(d.max)} | ${fmt(h.p50)} | ${fmt(h.p99)} | ${fmt(h.max)} | ${(d.p99 / bareS.p99).toFixed(2)}× |`,
  );
}
console.log(
  `| bare better-sqlite3, a row a FULL commit | ${fmt(bareS.p50)} | ${fmt(bareS.p99)} | ${fmt(bareS.max)} | | | | 1.00× |`,
);
process.exit(0);
