/**
 * Issue 3 benchmark: panels over MQTT at city scale.
 * (1) Sustained committed events per second with 1,000 simulated panels, each publishing QoS 1 events
 *     one after another (a real panel waits for its PUBACK), against a bare Aedes broker's QoS 1
 *     publish→PUBACK throughput with the same 1,000 clients in the same run.
 * (2) p50/p99 panic → `incident:new` (Socket.IO /ops) with the 1,000 panels connected, against the bare
 *     broker's QoS 1 publish → subscribe latency in the same run.
 * The service runs as its own process (`sharpeyes start`, embedded Aedes, SQLite WAL synchronous=FULL).
 *
 * `--type panic` makes every streamed event a life-safety alarm (a burst of alarms from every panel at
 * once: the core commits a lone alarm at once and groups a burst, src/core/batcher.ts).
 *
 *   npx tsx bench/panel-throughput.ts [--panels 1000] [--events 20] [--panics 200] [--runs 3] [--type test]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { cityYaml } from './lib/city.js';
import { connectPanels, fmt, operatorSocket, spawnUntil, stopChild, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    panels: { type: 'string', default: '1000' },
    events: { type: 'string', default: '20' },
    panics: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    type: { type: 'string', default: 'test' },
  },
});
const PANELS = Number(values.panels);
const EVENTS = Number(values.events);
const PANICS = Math.min(Number(values.panics), PANELS);
const RUNS = Number(values.runs);
const TYPE = values.type;
// Streamed alarms leave every streaming panel's site with an open alarm, which a later panic joins
// (no `incident:new`): the timed panics then come from panels of their own that streamed nothing.
const SPARE = TYPE === 'test' ? 0 : PANICS;

/** Every client publishes EVENTS QoS 1 events back to back; returns PUBACKed events per second. */
async function stream(clients: MqttClient[], topic: (i: number) => string, tag: string): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, i) => {
      for (let k = 0; k < EVENTS; k++) {
        const payload = JSON.stringify({ id: `${tag}-${k}`, type: TYPE, ts: new Date().toISOString() });
        await c.publishAsync(topic(i), payload, { qos: 1 });
      }
    }),
  );
  return (clients.length * EVENTS) / ((performance.now() - t0) / 1000);
}

async function bareRun(): Promise<{ rate: number; latency: number[] }> {
  const { child, captures } = await spawnUntil(['bench/lib/bare-aedes.ts'], [/BARE_AEDES_PORT=(\d+)/]);
  const url = `mqtt://127.0.0.1:${captures[0]}`;
  try {
    const clients = await connectPanels(url, PANELS, (i) => ({ clientId: `bare-p${i}` }));
    const rate = await stream(clients, (i) => `bench/p${i}/event`, 'bare');
    const sub = await mqtt.connectAsync(url, { clientId: 'bare-sub' });
    await sub.subscribeAsync('bench/+/panic', { qos: 1 });
    const latency: number[] = [];
    for (let i = 0; i < PANICS; i++) {
      const t0 = performance.now();
      const got = new Promise<void>((r) => sub.once('message', () => r()));
      await clients[i]?.publishAsync(`bench/p${i}/panic`, JSON.stringify({ id: `x${i}`, type: 'panic' }), {
        qos: 1,
      });
      await got;
      latency.push(performance.now() - t0);
    }
    await Promise.all([...clients, sub].map((c) => c.endAsync(true)));
    return { rate, latency };
  } finally {
    await stopChild(child);
  }
}

async function serviceRun(run: number): Promise<{ rate: number; latency: number[]; stored: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-panels-'));
  const cfg = join(dir, 'city.yaml');
  writeFileSync(cfg, cityYaml(PANELS + SPARE));
  const { child, captures } = await spawnUntil(
    ['src/cli.ts', 'start', '--config', cfg, '--data-dir', dir, '--no-demo'],
    [/Console: (http:\/\/[\d.:]+)\//, /MQTT panels: (mqtt:\/\/[\d.:]+)/],
  );
  const [httpUrl, mqttUrl] = captures as [string, string];
  try {
    const socket = await operatorSocket(cfg, dir, httpUrl);

    const connected = await connectPanels(mqttUrl, PANELS + SPARE, (i) => ({
      clientId: `p${i}`,
      username: `p${i}`,
      password: `secret-${i}-xyz`,
    }));
    const clients = connected.slice(0, PANELS);
    const rate = await stream(clients, (i) => `sharpeyes/panels/p${i}/event`, `r${run}`);

    const latency: number[] = [];
    for (let i = 0; i < PANICS; i++) {
      const t0 = performance.now();
      const got = new Promise<void>((r) => socket.once('incident:new', () => r()));
      const p = SPARE > 0 ? PANELS + i : i;
      await connected[p]?.publishAsync(
        `sharpeyes/panels/p${p}/event`,
        JSON.stringify({ id: `panic-${i}`, type: 'panic', ts: new Date().toISOString() }),
        { qos: 1 },
      );
      await got;
      latency.push(performance.now() - t0);
    }
    socket.close();
    await Promise.all(connected.map((c) => c.endAsync(true)));
    const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
    const stored = [
      ...metrics.matchAll(/^sharpeyes_events_committed_total\{[^}]*source="panel"[^}]*\} (\d+)/gm),
    ]
      .map((m) => Number(m[1]))
      .reduce((a, b) => a + b, 0);
    return { rate, latency, stored };
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const all = {
  bare: [] as number[],
  incident: [] as number[],
  bareRate: [] as number[],
  rate: [] as number[],
};
for (let r = 1; r <= RUNS; r++) {
  const bare = await bareRun();
  const svc = await serviceRun(r);
  all.bare.push(...bare.latency);
  all.incident.push(...svc.latency);
  all.bareRate.push(bare.rate);
  all.rate.push(svc.rate);
  const b = summary(bare.latency);
  const s = summary(svc.latency);
  console.log(
    `run ${r}: bare QoS1 ${bare.rate.toFixed(0)}/s | committed ${svc.rate.toFixed(0)}/s (${(svc.rate / bare.rate).toFixed(2)}×, ${svc.stored} stored) | bare pub→sub p50 ${fmt(b.p50)} p99 ${fmt(b.p99)} | panic→incident:new p50 ${fmt(s.p50)} p99 ${fmt(s.p99)}`,
  );
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const b = summary(all.bare);
const s = summary(all.incident);
console.log(`\nall runs (${RUNS} × ${PANELS} panels × ${EVENTS} ${TYPE} events, ${PANICS} panics per run):`);
console.log(`  bare Aedes QoS1 publish→PUBACK   ${mean(all.bareRate).toFixed(0)} msg/s`);
console.log(
  `  service committed events          ${mean(all.rate).toFixed(0)} events/s  (ratio ${(mean(all.rate) / mean(all.bareRate)).toFixed(2)}×)`,
);
console.log(`  bare Aedes QoS1 pub→sub          p50 ${fmt(b.p50)}  p99 ${fmt(b.p99)}`);
console.log(
  `  panic → incident:new              p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)}  (p99 ratio ${(s.p99 / b.p99).toFixed(2)}×)`,
);
process.exit(0);
