/**
 * Issue 2 benchmark: the smallest real path, measured end to end.
 * A panel (plain MQTT client) publishes `panic` at QoS 1 to the service running as its own process;
 * we time publish → `incident:new` on a Socket.IO /ops client, and publish → the panel's `received` ack.
 * Baseline in the same run: a bare Aedes broker, publish (QoS 1) → a subscriber receives it.
 *
 *   npx tsx bench/panic-path.ts [--panics 1000] [--runs 3]
 */
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { cityYaml } from './lib/city.js';
import { fmt, spawnUntil, stopChild, summary, withBenchService } from './lib/harness.js';

const { values } = parseArgs({
  options: { panics: { type: 'string', default: '1000' }, runs: { type: 'string', default: '3' } },
});
const PANICS = Number(values.panics);
const RUNS = Number(values.runs);

async function serviceRun(): Promise<{ incident: number[]; ack: number[] }> {
  return withBenchService(cityYaml(PANICS), async ({ mqttUrl, socket }) => {
    const incident: number[] = [];
    const ack: number[] = [];
    for (let i = 0; i < PANICS; i++) {
      const panel = await mqtt.connectAsync(mqttUrl, {
        username: `p${i}`,
        password: `secret-${i}-xyz`,
        clientId: `p${i}`,
      });
      await panel.subscribeAsync(`sharpeyes/panels/p${i}/ack`, { qos: 1 });
      const t0 = performance.now();
      const gotIncident = new Promise<void>((r) =>
        socket.once('incident:new', () => {
          incident.push(performance.now() - t0);
          r();
        }),
      );
      const gotAck = new Promise<void>((r) =>
        panel.once('message', () => {
          ack.push(performance.now() - t0);
          r();
        }),
      );
      await panel.publishAsync(
        `sharpeyes/panels/p${i}/event`,
        JSON.stringify({ id: `b${i}`, type: 'panic', ts: new Date().toISOString() }),
        { qos: 1 },
      );
      await Promise.all([gotIncident, gotAck]);
      await panel.endAsync();
    }
    return { incident, ack };
  });
}

async function bareRun(): Promise<number[]> {
  const { child, captures } = await spawnUntil(['bench/lib/bare-aedes.ts'], [/BARE_AEDES_PORT=(\d+)/]);
  const url = `mqtt://127.0.0.1:${captures[0]}`;
  try {
    const sub = await mqtt.connectAsync(url, { clientId: 'bare-sub' });
    await sub.subscribeAsync('bench/+/event', { qos: 1 });
    const lat: number[] = [];
    for (let i = 0; i < PANICS; i++) {
      const pub = await mqtt.connectAsync(url, { clientId: `bare-p${i}` });
      const t0 = performance.now();
      const got = new Promise<void>((r) =>
        sub.once('message', () => {
          lat.push(performance.now() - t0);
          r();
        }),
      );
      await pub.publishAsync(
        `bench/p${i}/event`,
        JSON.stringify({ id: `b${i}`, type: 'panic', ts: new Date().toISOString() }),
        { qos: 1 },
      );
      await got;
      await pub.endAsync();
    }
    await sub.endAsync();
    return lat;
  } finally {
    await stopChild(child);
  }
}

const all = { incident: [] as number[], ack: [] as number[], bare: [] as number[] };
for (let r = 1; r <= RUNS; r++) {
  const bare = await bareRun();
  const svc = await serviceRun();
  all.bare.push(...bare);
  all.incident.push(...svc.incident);
  all.ack.push(...svc.ack);
  const b = summary(bare);
  const inc = summary(svc.incident);
  const a = summary(svc.ack);
  console.log(
    `run ${r}: bare pub→sub p50 ${fmt(b.p50)} p99 ${fmt(b.p99)} | panic→incident:new p50 ${fmt(inc.p50)} p99 ${fmt(inc.p99)} | panic→ack p50 ${fmt(a.p50)} p99 ${fmt(a.p99)}`,
  );
}
const b = summary(all.bare);
const inc = summary(all.incident);
const a = summary(all.ack);
console.log(`\nall runs (${RUNS} × ${PANICS} panics):`);
console.log(`  bare Aedes QoS1 pub→sub      p50 ${fmt(b.p50)}  p90 ${fmt(b.p90)}  p99 ${fmt(b.p99)}`);
console.log(
  `  panic → incident:new         p50 ${fmt(inc.p50)}  p90 ${fmt(inc.p90)}  p99 ${fmt(inc.p99)}  (p99 ratio ${(inc.p99 / b.p99).toFixed(2)}×)`,
);
console.log(
  `  panic → panel ack 'received' p50 ${fmt(a.p50)}  p90 ${fmt(a.p90)}  p99 ${fmt(a.p99)}  (p99 ratio ${(a.p99 / b.p99).toFixed(2)}×)`,
);
process.exit(0);
