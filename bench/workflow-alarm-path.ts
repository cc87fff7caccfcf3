/**
 * Issue 17 benchmark: what the alarm-centre workflow costs on the alarm path. The same service and
 * city run twice per round, once with the workflow (the panic gets its action plan, call list, holder
 * and test-mode / runaway / storm checks in the core's transaction) and once with `workflow.enabled:
 * false` (the bare queue). A panel (plain MQTT client) publishes `panic` at QoS 1; we time publish →
 * PUBACK (committed), → the panel's `received` ack, and → `incident:new` on an operator's socket (with
 * the plan on it when the workflow runs). Baseline in the same run: a bare Aedes broker pub → sub.
 *
 *   npx tsx bench/workflow-alarm-path.ts [--panics 300] [--runs 2]
 */
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { cityYaml } from './lib/city.js';
import { fmt, spawnUntil, stopChild, summary, withBenchService } from './lib/harness.js';

const { values } = parseArgs({
  options: { panics: { type: 'string', default: '300' }, runs: { type: 'string', default: '2' } },
});
const PANICS = Number(values.panics);
const RUNS = Number(values.runs);

interface Samples {
  puback: number[];
  ack: number[];
  incident: number[];
}

async function serviceRun(workflow: boolean): Promise<Samples> {
  const yaml = `${cityYaml(PANICS)}workflow: { enabled: ${workflow} }\n`;
  return withBenchService(yaml, async ({ mqttUrl, socket }) => {
    const out: Samples = { puback: [], ack: [], incident: [] };
    for (let i = 0; i < PANICS; i++) {
      const panel = await mqtt.connectAsync(mqttUrl, {
        username: `p${i}`,
        password: `secret-${i}-xyz`,
        clientId: `p${i}`,
      });
      await panel.subscribeAsync(`sharpeyes/panels/p${i}/ack`, { qos: 1 });
      const t0 = performance.now();
      const gotIncident = new Promise<void>((resolve, reject) =>
        socket.once('incident:new', (inc: { plan?: { name: string } }) => {
          out.incident.push(performance.now() - t0);
          // The two sides must differ by the workflow, or the ratio means nothing.
          if (Boolean(inc.plan) !== workflow) reject(new Error(`plan ${inc.plan ? 'present' : 'missing'}`));
          resolve();
        }),
      );
      const gotAck = new Promise<void>((r) =>
        panel.once('message', () => {
          out.ack.push(performance.now() - t0);
          r();
        }),
      );
      await panel.publishAsync(
        `sharpeyes/panels/p${i}/event`,
        JSON.stringify({ id: `w${i}`, type: 'panic', ts: new Date().toISOString() }),
        { qos: 1 },
      );
      out.puback.push(performance.now() - t0);
      await Promise.all([gotIncident, gotAck]);
      await panel.endAsync();
    }
    return out;
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
      await pub.publishAsync(`bench/p${i}/event`, JSON.stringify({ id: `b${i}`, type: 'panic' }), { qos: 1 });
      await got;
      await pub.endAsync();
    }
    await sub.endAsync();
    return lat;
  } finally {
    await stopChild(child);
  }
}

const all = { bare: [] as number[], on: { puback: [], ack: [], incident: [] } as Samples };
const off: Samples = { puback: [], ack: [], incident: [] };
const line = (name: string, s: number[], base?: number[]) => {
  const a = summary(s);
  const ratio = base
    ? `  (p50 ×${(a.p50 / summary(base).p50).toFixed(2)}, p99 ×${(a.p99 / summary(base).p99).toFixed(2)} vs off)`
    : '';
  return `  ${name.padEnd(42)} p50 ${fmt(a.p50)}  p90 ${fmt(a.p90)}  p99 ${fmt(a.p99)}${ratio}`;
};
for (let r = 1; r <= RUNS; r++) {
  // Alternate the order so a machine that warms up or gets busier does not favour one side.
  const first = r % 2 === 1;
  const bare = await bareRun();
  const a = await serviceRun(first);
  const b = await serviceRun(!first);
  const [on, offRun] = first ? [a, b] : [b, a];
  all.bare.push(...bare);
  for (const k of ['puback', 'ack', 'incident'] as const) {
    all.on[k].push(...on[k]);
    off[k].push(...offRun[k]);
  }
  console.log(`run ${r}:`);
  console.log(line('bare Aedes QoS1 pub→sub', bare));
  for (const k of ['puback', 'ack', 'incident'] as const) {
    console.log(line(`${k} workflow off`, offRun[k]));
    console.log(line(`${k} workflow on`, on[k], offRun[k]));
  }
}
console.log(`\nall runs (${RUNS} × ${PANICS} panics each side):`);
console.log(line('bare Aedes QoS1 pub→sub', all.bare));
for (const [k, name] of [
  ['puback', 'panic → PUBACK'],
  ['ack', "panic → panel ack 'received'"],
  ['incident', 'panic → incident:new'],
] as const) {
  console.log(line(`${name}, workflow off`, off[k]));
  console.log(line(`${name}, workflow on`, all.on[k], off[k]));
}
process.exit(0);
