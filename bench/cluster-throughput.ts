/**
 * Issue 16 benchmark: a city on several nodes.
 * (1) Committed events per second: `--panels` panels on Mosquitto, each publishing `--events` QoS 1
 *     events one after another (a real panel waits for its PUBACK); the time until every one is in
 *     the database. (2) p50/p99 panic → `incident:new` on an operator socket of the LAST node.
 * Configurations, in one run: 1 node on SQLite, 1 node on PostgreSQL, 3 nodes on PostgreSQL (+ Redis
 * adapter), all through the same Mosquitto; against the bare broker (a shared-subscription subscriber
 * that does nothing: publish→PUBACK throughput and publish→receive latency) in the same run.
 *
 *   npx tsx bench/cluster-throughput.ts [--panels 500] [--events 10] [--panics 100]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { io } from 'socket.io-client';
import { freePort } from '../test/helpers/free-port.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { createDatabase, startPostgres } from '../test/helpers/postgres.js';
import { startRedis } from '../test/helpers/redis.js';
import { fmt, ROOT, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    panels: { type: 'string', default: '500' },
    events: { type: 'string', default: '10' },
    panics: { type: 'string', default: '100' },
  },
});
const PANELS = Number(values.panels);
const EVENTS = Number(values.events);
const PANICS = Math.min(Number(values.panics), PANELS);
const SERVICE_PASSWORD = 'bench-service-pw';

function yaml(o: {
  node: number;
  http: number;
  mqttUrl: string;
  db: string;
  redis?: string;
  dir: string;
}): string {
  const sites: string[] = [];
  const panels: string[] = [];
  for (let i = 0; i < PANELS; i++) {
    sites.push(
      `  - { id: s${i}, name: Site ${i}, jurisdiction: g${i % 20}, kind: shop, location: { lat: 39.3, lon: 112.4 } }`,
    );
    panels.push(`  - { id: p${i}, site: s${i}, secret: secret-${i}-xyz, heartbeatSeconds: 3600 }`);
  }
  const grids = Array.from({ length: 20 }, (_, g) => `      - { id: g${g}, name: Grid ${g} }`).join('\n');
  return `http: { host: 127.0.0.1, port: ${o.http} }
mqtt: { url: "${o.mqttUrl}", username: sharpeyes-core, password: ${SERVICE_PASSWORD}, clientId: bench-node-${o.node} }
storage: { dataDir: "${o.dir}/node-${o.node}", database: ${o.db} }
${o.redis ? `realtime: { redis: "${o.redis}" }\n` : ''}cluster: { nodeId: node-${o.node}, leaseSeconds: 10 }
auth: { passwordHashCost: 14 }
jurisdictions:
  - id: city
    name: City
    children:
${grids}
sites:
${sites.join('\n')}
panels:
${panels.join('\n')}
`;
}

async function startNode(file: string, url: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'sharpeyes.js'), 'start', '--config', file, '--no-demo'],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'error' },
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node ${file} exited ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) return child;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`node ${file} did not start`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  await gone;
}

const pub = (c: MqttClient, topic: string, body: unknown) =>
  new Promise<void>((resolve, reject) =>
    c.publish(topic, JSON.stringify(body), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
  );

/** Every panel publishes EVENTS `test` events one after another (a `test` report opens nothing). */
async function flood(panels: MqttClient[], tag: string): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    panels.map(async (c, i) => {
      for (let e = 0; e < EVENTS; e++)
        await pub(c, `sharpeyes/panels/p${i}/event`, {
          id: `${tag}-${e}`,
          type: 'test',
          ts: new Date().toISOString(),
        });
    }),
  );
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const users: Record<string, string> = { 'sharpeyes-core': SERVICE_PASSWORD };
  for (let i = 0; i < PANELS; i++) users[`p${i}`] = `secret-${i}-xyz`;
  const [postgres, redis, broker] = await Promise.all([startPostgres(), startRedis(), startMosquitto(users)]);
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-cluster-'));
  const panels: MqttClient[] = [];
  try {
    for (let i = 0; i < PANELS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, PANELS - i) }, (_, j) => {
          const c = mqtt.connect(broker.url, {
            clientId: `p${i + j}`,
            username: `p${i + j}`,
            password: `secret-${i + j}-xyz`,
            reconnectPeriod: 1000,
          });
          return new Promise<MqttClient>((resolve, reject) => {
            c.once('connect', () => resolve(c));
            c.once('error', reject);
          });
        }),
      );
      panels.push(...batch);
    }
    console.log(`${PANELS} panels connected to Mosquitto; ${EVENTS} events each, ${PANICS} panics`);

    // Bare broker: a shared-subscription subscriber that does nothing.
    const bare = mqtt.connect(broker.url, {
      clientId: 'bare',
      username: 'sharpeyes-core',
      password: SERVICE_PASSWORD,
      protocolVersion: 5,
    });
    await new Promise((r) => bare.once('connect', r));
    let received = 0;
    const waiting = new Map<string, (t: number) => void>();
    bare.on('message', (_t, payload) => {
      received++;
      const id = (JSON.parse(payload.toString()) as { id: string }).id;
      waiting.get(id)?.(performance.now());
    });
    await new Promise((r) => bare.subscribe('$share/bare/sharpeyes/panels/+/event', { qos: 1 }, r));
    const bareMs = await flood(panels, 'bare');
    while (received < PANELS * EVENTS) await new Promise((r) => setTimeout(r, 20));
    const bareRate = (PANELS * EVENTS) / (bareMs / 1000);
    const bareLat: number[] = [];
    for (let i = 0; i < PANICS; i++) {
      const id = `bare-lat-${i}`;
      const got = new Promise<number>((resolve) => waiting.set(id, resolve));
      const t0 = performance.now();
      await pub(panels[i]!, `sharpeyes/panels/p${i}/event`, {
        id,
        type: 'test',
        ts: new Date().toISOString(),
      });
      bareLat.push((await got) - t0);
      waiting.delete(id);
    }
    bare.end(true);
    const bs = summary(bareLat);
    console.log(
      `bare Mosquitto: QoS 1 publish→PUBACK ${bareRate.toFixed(0)}/s | publish→subscriber p50 ${fmt(bs.p50)} p99 ${fmt(bs.p99)}`,
    );

    const configs = [
      { name: 'SQLite, 1 node', nodes: 1, kind: 'sqlite' as const },
      { name: 'PostgreSQL, 1 node', nodes: 1, kind: 'postgres' as const },
      { name: 'PostgreSQL, 3 nodes', nodes: 3, kind: 'postgres' as const },
    ];
    const rows: string[] = [];
    for (const [ci, cfg] of configs.entries()) {
      const cdir = join(dir, `c${ci}`);
      const url = cfg.kind === 'postgres' ? await createDatabase(postgres, `bench_${ci}`) : undefined;
      const db = url ? `{ kind: postgres, url: "${url}", poolSize: 10 }` : '{ kind: sqlite }';
      const children: ChildProcess[] = [];
      const urls: string[] = [];
      for (let n = 1; n <= cfg.nodes; n++) {
        const http = await freePort();
        const file = join(dir, `c${ci}-node-${n}.yaml`);
        writeFileSync(
          file,
          yaml({
            node: n,
            http,
            mqttUrl: broker.url,
            db,
            ...(cfg.nodes > 1 ? { redis: redis.url } : {}),
            dir: cdir,
          }),
        );
        urls.push(`http://127.0.0.1:${http}`);
        children.push(await startNode(file, urls.at(-1)!));
      }
      const count = async (): Promise<number> => {
        if (url) {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          try {
            return Number((await c.query("SELECT COUNT(*) AS n FROM events WHERE type = 'test'")).rows[0].n);
          } finally {
            await c.end();
          }
        }
        const s = new Database(join(cdir, 'node-1', 'sharpeyes.db'), { readonly: true });
        try {
          return (s.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'test'").get() as { n: number }).n;
        } finally {
          s.close();
        }
      };
      // The operator on the last node, created through the store the nodes share.
      const { openStore } = await import('../src/store/open.js');
      const { AuthService } = await import('../src/auth/auth-service.js');
      const store = await openStore({
        dataDir: join(cdir, 'node-1'),
        database: url ? { kind: 'postgres', url, poolSize: 2 } : { kind: 'sqlite' },
      });
      await new AuthService(store, { passwordHashCost: 14 }).createUser({
        username: 'bench',
        password: 'bench-password',
        role: 'operator',
        scope: 'city',
      });
      await store.close();
      const last = urls.at(-1)!;
      const login = await fetch(`${last}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bench', password: 'bench-password' }),
      });
      const { token } = (await login.json()) as { token: string };
      const socket = io(`${last}/ops`, { auth: { token }, transports: ['websocket'] });
      await new Promise<void>((r) => socket.once('connect', () => r()));
      const bySite = new Map<string, (t: number) => void>();
      socket.on('incident:new', (inc: { site: string }) => bySite.get(inc.site)?.(performance.now()));

      const t0 = performance.now();
      await flood(panels, `c${ci}`);
      while ((await count()) < PANELS * EVENTS) await new Promise((r) => setTimeout(r, 50));
      const rate = (PANELS * EVENTS) / ((performance.now() - t0) / 1000);
      const lat: number[] = [];
      for (let i = 0; i < PANICS; i++) {
        const got = new Promise<number>((resolve) => bySite.set(`s${i}`, resolve));
        const s0 = performance.now();
        await pub(panels[i]!, `sharpeyes/panels/p${i}/event`, {
          id: `c${ci}-panic`,
          type: 'panic',
          zone: '1',
          ts: new Date().toISOString(),
        });
        lat.push((await got) - s0);
        bySite.delete(`s${i}`);
      }
      socket.disconnect();
      for (const c of children) await stop(c);
      const s = summary(lat);
      const line = `${cfg.name.padEnd(20)} committed ${rate.toFixed(0).padStart(6)}/s (${(rate / bareRate).toFixed(2)}× bare) | panic→incident:new p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} (p99 ${(s.p99 / bs.p99).toFixed(1)}× bare)`;
      console.log(line);
      rows.push(line);
    }
    console.log(`\n${new Date().toISOString()}  ${PANELS} panels × ${EVENTS} events, ${PANICS} panics`);
    console.log(
      `bare Mosquitto       QoS 1 ${bareRate.toFixed(0)}/s | pub→sub p50 ${fmt(bs.p50)} p99 ${fmt(bs.p99)}`,
    );
    for (const r of rows) console.log(r);
  } finally {
    for (const p of panels) p.end(true);
    await broker.stop();
    await redis.stop();
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
