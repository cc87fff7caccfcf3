/**
 * The desks' system badge on the alarm thread: each node checks its own health every
 * `storage.systemWatchSeconds` (5 s) for `system:status` (src/health/system-watch.ts): a `SELECT 1`,
 * each part's counts, and every outbox sink's position, with, for a sink behind, when its oldest row
 * was committed. How long does a check take, and how long does it hold the thread?
 *
 * In-process: the real service (SQLite, its nine outbox sinks running) with `--sites` panels, after
 * `--panics` panics sent through its broker (each from a site of its own; `--sites` ≥ twice `--panics`). Two cases: all sinks caught up (the usual), and the
 * reports sink failing (its table renamed away) with the panics' rows behind it, as when the badge is
 * red. The bare tool in the same run, taking turns check by check: better-sqlite3 on a second
 * connection to the same file running the same statements (`SELECT 1`, the outbox's newest sequence
 * number, and for the failing case the oldest row after the sink's position).
 *
 *   npx tsx bench/system-watch.ts [--sites 1000] [--panics 200] [--runs 1000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { parseConfig } from '../src/config/load.js';
import type { SystemWatch } from '../src/health/system-watch.js';
import { silentLogger } from '../src/log.js';
import { startService } from '../src/main.js';
import { cityYaml } from './lib/city.js';
import { fmt, holds, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    sites: { type: 'string', default: '1000' },
    panics: { type: 'string', default: '200' },
    runs: { type: 'string', default: '1000' },
  },
});
const SITES = Number(values.sites);
const PANICS = Number(values.panics);
const RUNS = Number(values.runs);

/** How long `fn` took, and the longest the thread went without a turn of the loop meanwhile. */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; held: number }> {
  const probe = holds();
  const t = performance.now();
  await fn();
  const ms = performance.now() - t;
  return { ms, held: probe.stop() };
}

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-watch-'));
const config = parseConfig(cityYaml(SITES), 'bench-city.yaml');
config.storage.dataDir = dir;
config.recording.enabled = false;
const running = await startService({ config, log: silentLogger });
const { svc } = running;
try {
  const watch = svc.parts.get('system.watch') as SystemWatch;
  await watch.stop(); // timed here, not on its own timer
  const db = svc.need('store').db;
  const bare = new Database(join(dir, 'sharpeyes.db'), { readonly: true });
  const one = bare.prepare('select 1');
  const tail = bare.prepare('select max("seq") as "seq" from "outbox"');
  const after = bare.prepare('select "at" from "outbox" where "seq" > ? order by "seq" limit 1');

  const port = svc.parts.get('mqttPort') as number;
  /** Panics from sites `from`.. (each a new incident: the reports sink writes its facts). */
  const panics = async (tag: string, from: number) => {
    for (let i = from; i < from + PANICS; i++) {
      const id = `p${i % SITES}`;
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        username: id,
        password: `secret-${i % SITES}-xyz`,
        clientId: `${id}-watch`,
      });
      await c.publishAsync(
        `sharpeyes/panels/${id}/event`,
        JSON.stringify({ id: `${tag}-${i}`, type: 'panic', ts: new Date().toISOString() }),
        { qos: 1 },
      );
      await c.endAsync();
    }
  };

  const round = async (what: string, bareCheck: () => void) => {
    const service: number[] = [];
    const held: number[] = [];
    const bareMs: number[] = [];
    let status = watch.current();
    for (let r = 0; r < RUNS; r++) {
      const s = await timed(async () => {
        status = await watch.tick();
      });
      service.push(s.ms);
      held.push(s.held);
      const t = performance.now();
      bareCheck();
      bareMs.push(performance.now() - t);
    }
    const a = summary(service);
    const h = summary(held);
    const b = summary(bareMs);
    console.log(
      `| ${what} (${status.level}: ${status.troubles.map((x) => `${x.kind}${x.name ? ` ${x.name}` : ''}`).join(', ') || 'none'}) | ${fmt(a.p50)} / ${fmt(a.p99)} / ${fmt(a.max)} | ${fmt(h.p50)} / ${fmt(h.p99)} / ${fmt(h.max)} | ${fmt(b.p50)} / ${fmt(b.p99)} / ${fmt(b.max)} | ${(a.p50 / b.p50).toFixed(2)}× |`,
    );
  };

  await panics('ok', 0);
  await new Promise((r) => setTimeout(r, 2000)); // every sink catches up
  console.log(`\n${SITES} sites, ${PANICS} panics a case, ${RUNS} checks a case, taking turns with bare\n`);
  console.log(
    '| case | service check p50 / p99 / max | the thread held at most, p50 / p99 / max | bare better-sqlite3 p50 / p99 / max | p50 ÷ bare |',
  );
  console.log('|---|---|---|---|---|');
  await round('all sinks caught up', () => {
    one.get();
    tail.get();
  });

  db.exec('ALTER TABLE report_incidents RENAME TO report_incidents_away');
  try {
    await panics('away', PANICS);
    await new Promise((r) => setTimeout(r, 2000));
    const pos = (db.prepare("select seq from outbox_cursors where sink = 'reports'").get() as { seq: number })
      .seq;
    await round('reports failing, rows behind it', () => {
      one.get();
      tail.get();
      after.get(pos);
    });
  } finally {
    db.exec('ALTER TABLE report_incidents_away RENAME TO report_incidents');
  }
  bare.close();
} finally {
  await running.stop();
  rmSync(dir, { recursive: true, force: true });
}
