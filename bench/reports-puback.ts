/**
 * Issue 13/19 benchmark: a 400-day report over a year of history must not delay an alarm.
 *
 * Set-up: `--incidents` (150,000) incidents over `--days` (400) written to a fresh SQLite file and
 * projected into the reporting tables (as an upgraded installation has them), then the service starts
 * as its own process (embedded Aedes, SQLite WAL, synchronous=FULL).
 * Phase A: `--samples` panics, each from its own site, one at a time: publish → PUBACK and →
 * `incident:new` on an operator's Socket.IO client. Phase B: the same while `--concurrent` clients
 * each ask `GET /api/reports/figures` over the whole 400 days again and again. Baseline in the same
 * run: a bare Aedes broker, publish → PUBACK. Also timed: the same report run in this process on a
 * connection of its own (what would hold the service's event loop if it ran there).
 *
 *   npx tsx bench/reports-puback.ts [--incidents 150000] [--days 400] [--samples 200] [--concurrent 1] [--runs 1] [--inline-runs 1]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import mqtt from 'mqtt';
import type { Socket } from 'socket.io-client';
import { silentLogger } from '../src/log.js';
import { FactsBackfill } from '../src/reports/facts-backfill.js';
import { OPS } from '../src/reports/report-ops.js';
import type { DB } from '../src/store/db-types.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { cityYaml } from './lib/city.js';
import { fmt, operatorSocket, ROOT, spawnUntil, stopChild, summary } from './lib/harness.js';
import { reportsFor, seedHistory, unitsYaml } from './lib/report-history.js';

const { values } = parseArgs({
  options: {
    incidents: { type: 'string', default: '150000' },
    days: { type: 'string', default: '400' },
    samples: { type: 'string', default: '200' },
    concurrent: { type: 'string', default: '1' },
    runs: { type: 'string', default: '1' },
    'inline-runs': { type: 'string', default: '1' },
  },
});
const N = Number(values.incidents);
const DAYS = Number(values.days);
const SAMPLES = Number(values.samples);
const CONCURRENT = Number(values.concurrent);
const RUNS = Number(values.runs);
const INLINE_RUNS = Number(values['inline-runs']);
const SITES = 2 * SAMPLES + 1;
const UNITS = 20;

async function panic(
  mqttUrl: string,
  socket: Socket,
  i: number,
): Promise<{ puback: number; incident: number }> {
  const panel = await mqtt.connectAsync(mqttUrl, {
    username: `p${i}`,
    password: `secret-${i}-xyz`,
    clientId: `p${i}`,
  });
  try {
    const t0 = performance.now();
    let incident = 0;
    const got = new Promise<void>((r) => {
      const on = (inc: { site: string }) => {
        if (inc.site !== `s${i}`) return;
        incident = performance.now() - t0;
        socket.off('incident:new', on);
        r();
      };
      socket.on('incident:new', on);
    });
    await panel.publishAsync(
      `sharpeyes/panels/p${i}/event`,
      JSON.stringify({ id: `bench-panic-${i}-${Date.now()}`, type: 'panic', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    const puback = performance.now() - t0;
    await got;
    return { puback, incident };
  } finally {
    await panel.endAsync();
  }
}

async function bare(samples: number): Promise<number[]> {
  const { child, captures } = await spawnUntil(['bench/lib/bare-aedes.ts'], [/BARE_AEDES_PORT=(\d+)/]);
  try {
    const out: number[] = [];
    for (let i = 0; i < samples; i++) {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${captures[0]}`, { clientId: `bare-${i}` });
      const t0 = performance.now();
      await c.publishAsync('bench/panic', JSON.stringify({ id: i, type: 'panic' }), { qos: 1 });
      out.push(performance.now() - t0);
      await c.endAsync();
    }
    return out;
  } finally {
    await stopChild(child);
  }
}

/** The history, projected, in a fresh data dir (what an upgraded installation has at start). */
async function prepare(
  dir: string,
  cfgFile: string,
): Promise<{ endMs: number; seedSeconds: number; projectSeconds: number }> {
  const endMs = Date.now() - 3_600_000;
  const store = new SqliteStore(join(dir, 'sharpeyes.db'));
  try {
    const t0 = performance.now();
    await seedHistory(store.k, { n: N, days: DAYS, endMs, sites: SITES, units: UNITS });
    const t1 = performance.now();
    const { facts, projector, tz } = await reportsFor(
      store.k,
      store.dialect,
      cfgFile,
      endMs - DAYS * 86_400_000,
    );
    await new FactsBackfill({ store: facts, projector, tz, log: silentLogger, page: 2000 }).run();
    return { endMs, seedSeconds: (t1 - t0) / 1000, projectSeconds: (performance.now() - t1) / 1000 };
  } finally {
    await store.close();
  }
}

/** The same 400-day figures, in this process on a connection of its own: the time it would block a loop. */
async function inline(file: string, endMs: number): Promise<number[]> {
  const sqlite = new Database(file, { readonly: true });
  const k = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
  const out: number[] = [];
  try {
    for (let i = 0; i < INLINE_RUNS; i++) {
      const t0 = performance.now();
      await OPS.figures(
        k,
        {
          period: {
            node: 'city',
            from: endMs - DAYS * 86_400_000,
            to: endMs + 3_600_000,
            asOf: endMs + 3_600_000,
          },
          groups: ['station'],
          units: Array.from({ length: UNITS }, (_, u) => `u${u}`),
          limit: 50,
        },
        () => undefined,
      );
      out.push(performance.now() - t0);
    }
  } finally {
    await k.destroy();
  }
  return out;
}

async function run(r: number) {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-reports-bench-'));
  const cfg = join(dir, 'city.yaml');
  writeFileSync(cfg, cityYaml(SITES) + unitsYaml(UNITS));
  const prep = await prepare(dir, cfg);
  console.log(
    `run ${r}: ${N} incidents over ${DAYS} days seeded in ${prep.seedSeconds.toFixed(1)} s, projected for reports in ${prep.projectSeconds.toFixed(1)} s`,
  );
  const inl = summary(await inline(join(dir, 'sharpeyes.db'), prep.endMs));
  const bareSamples = summary(await bare(SAMPLES));
  const { child, captures } = await spawnUntil(
    ['src/cli.ts', 'start', '--config', cfg, '--data-dir', dir, '--no-demo'],
    [/Console: (http:\/\/[\d.:]+)\//, /MQTT panels: (mqtt:\/\/[\d.:]+)/],
    { timeoutMs: 120_000 },
  );
  const [httpUrl, mqttUrl] = captures as [string, string];
  // The service's warnings and errors go to this run's stderr (a crash says why).
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  child.once('exit', (code, signal) => console.error(`service exited: ${code ?? signal}`));
  try {
    const socket = await operatorSocket(cfg, dir, httpUrl);
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli.ts',
        'user',
        'add',
        '--config',
        cfg,
        '--data-dir',
        dir,
        '--username',
        'chief',
        '--password',
        'chief-password',
        '--role',
        'supervisor',
        '--scope',
        'city',
      ],
      { cwd: ROOT, stdio: 'ignore' },
    );
    const login = () =>
      fetch(`${httpUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'chief', password: 'chief-password' }),
      });
    // undici may reuse a keep-alive socket the server has just timed out (the CLI call took seconds).
    const { token } = (await (await login().catch(login)).json()) as { token: string };
    const to = new Date(prep.endMs + 3_600_000).toISOString();
    const from = new Date(prep.endMs + 3_600_000 - DAYS * 86_400_000).toISOString();
    const report = async () => {
      const t0 = performance.now();
      const res = await fetch(`${httpUrl}/api/reports/figures?node=city&from=${from}&to=${to}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await res.json()) as { counts?: { incidents: number } };
      if (!res.ok || (body.counts?.incidents ?? 0) < N * 0.99)
        throw new Error(`report answered ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
      return performance.now() - t0;
    };
    await report(); // warms the worker thread (its start is not what is measured)

    const quiet = { puback: [] as number[], incident: [] as number[] };
    for (let i = 1; i <= SAMPLES; i++) {
      const s = await panic(mqttUrl, socket, i);
      quiet.puback.push(s.puback);
      quiet.incident.push(s.incident);
    }

    let reporting = true;
    let inFlight = 0;
    let covered = 0;
    const reportTimes: number[] = [];
    const loops = Array.from({ length: CONCURRENT }, async () => {
      while (reporting) {
        inFlight++;
        try {
          reportTimes.push(await report());
        } finally {
          inFlight--;
        }
      }
    });
    const during = { puback: [] as number[], incident: [] as number[] };
    for (let i = SAMPLES + 1; i <= 2 * SAMPLES; i++) {
      if (inFlight > 0) covered++;
      const s = await panic(mqttUrl, socket, i);
      during.puback.push(s.puback);
      during.incident.push(s.incident);
    }
    reporting = false;
    await Promise.all(loops);
    socket.close();

    const qp = summary(quiet.puback);
    const qi = summary(quiet.incident);
    const dp = summary(during.puback);
    const di = summary(during.incident);
    const rt = summary(reportTimes);
    console.log(
      `  bare Aedes publish→PUBACK:        p50 ${fmt(bareSamples.p50)} p99 ${fmt(bareSamples.p99)}  (n=${bareSamples.n})`,
    );
    console.log(
      `  panic, no report:     PUBACK p50 ${fmt(qp.p50)} p99 ${fmt(qp.p99)} max ${fmt(qp.max)} | incident:new p50 ${fmt(qi.p50)} p99 ${fmt(qi.p99)}  (n=${qp.n})`,
    );
    console.log(
      `  panic, ${CONCURRENT} report(s) running: PUBACK p50 ${fmt(dp.p50)} p99 ${fmt(dp.p99)} max ${fmt(dp.max)} | incident:new p50 ${fmt(di.p50)} p99 ${fmt(di.p99)}  (n=${dp.n})`,
    );
    console.log(
      `  p99 ratio with/without reports: PUBACK ${(dp.p99 / qp.p99).toFixed(2)}×, incident:new ${(di.p99 / qi.p99).toFixed(2)}×; PUBACK p99 vs bare ${(dp.p99 / bareSamples.p99).toFixed(2)}×`,
    );
    console.log(
      `  400-day report over HTTP (worker thread): p50 ${fmt(rt.p50)} max ${fmt(rt.max)} (n=${rt.n}); ${covered} of ${dp.n} panics sent while a report was running`,
    );
    console.log(
      `  same report in-process (would hold the event loop): p50 ${fmt(inl.p50)} max ${fmt(inl.max)} (n=${inl.n})`,
    );
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let r = 1; r <= RUNS; r++) await run(r);
process.exit(0);
