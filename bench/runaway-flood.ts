/**
 * Issue 13 benchmark: a runaway panel floods one open incident while other sites' panics must not
 * wait. The service runs as its own process (embedded Aedes, SQLite WAL, synchronous=FULL).
 *
 * Phase A (no flood): `--samples` panics, each from a different site, one at a time: publish → PUBACK
 * and publish → `incident:new` on an operator's Socket.IO /ops client.
 * Phase B: panel p0 sends `--flood` intrusion events into its one open incident (QoS 1, a window of
 * `--window` in flight) while the same panic measurement runs from other sites. Reported: other sites'
 * panic p50/p99 with and without the flood (goal p99 within 2×), the flood's cost per event in its
 * first and last thousand (flat means constant per-event cost), `/api/health` latency during the
 * flood, and the bytes of `incident:update` the console received (deltas, not whole incidents).
 *
 * `--panel-rate off` lifts the runaway panel's rate (`mqtt.embedded.panelRate`, default 50 events/s
 * past a burst of 200) to measure the flood at full speed; `--panel-rate 100:200` sets another.
 *
 *   npx tsx bench/runaway-flood.ts [--flood 10000] [--samples 200] [--window 50] [--runs 1] [--panel-rate off]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import { cityYaml } from './lib/city.js';
import { fmt, operatorSocket, spawnUntil, stopChild, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    flood: { type: 'string', default: '10000' },
    samples: { type: 'string', default: '200' },
    window: { type: 'string', default: '50' },
    runs: { type: 'string', default: '1' },
    'panel-rate': { type: 'string', default: 'default' },
  },
});
const PANEL_RATE = values['panel-rate'];
const FLOOD = Number(values.flood);
const SAMPLES = Number(values.samples);
const WINDOW = Number(values.window);
const RUNS = Number(values.runs);
const SITES = 1 + 2 * SAMPLES;

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
      JSON.stringify({ id: `panic-${i}`, type: 'panic', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    const puback = performance.now() - t0;
    await got;
    return { puback, incident };
  } finally {
    await panel.endAsync();
  }
}

async function flood(runaway: MqttClient, perThousand: number[]): Promise<void> {
  let next = 0;
  let done = 0;
  let mark = performance.now();
  const one = async (): Promise<void> => {
    while (next < FLOOD) {
      const n = next++;
      await runaway.publishAsync(
        'sharpeyes/panels/p0/event',
        JSON.stringify({ id: `flood-${n}`, type: 'intrusion', zone: '1', ts: new Date().toISOString() }),
        { qos: 1 },
      );
      if (++done % 1000 === 0) {
        const now = performance.now();
        perThousand.push((now - mark) / 1000);
        mark = now;
      }
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, one));
}

async function run(r: number) {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-flood-'));
  const cfg = join(dir, 'city.yaml');
  const [perSecond, burst] = PANEL_RATE === 'off' ? ['1000000', '1000000'] : PANEL_RATE.split(':');
  const mqttLine = 'mqtt: { embedded: { port: 0, host: 127.0.0.1 } }';
  const yaml = cityYaml(SITES);
  if (!yaml.includes(mqttLine)) throw new Error('bench/lib/city.ts changed its mqtt line');
  writeFileSync(
    cfg,
    PANEL_RATE === 'default'
      ? yaml
      : yaml.replace(
          mqttLine,
          `mqtt: { embedded: { port: 0, host: 127.0.0.1, panelRate: { perSecond: ${perSecond}, burst: ${burst ?? 200} } } }`,
        ),
  );
  const { child, captures } = await spawnUntil(
    ['src/cli.ts', 'start', '--config', cfg, '--data-dir', dir, '--no-demo'],
    [/Console: (http:\/\/[\d.:]+)\//, /MQTT panels: (mqtt:\/\/[\d.:]+)/],
  );
  const [httpUrl, mqttUrl] = captures as [string, string];
  try {
    const socket = await operatorSocket(cfg, dir, httpUrl);
    let updateBytes = 0;
    let updates = 0;
    socket.on('incident:update', (...args: unknown[]) => {
      updates++;
      updateBytes += JSON.stringify(args).length;
    });

    const quiet = { puback: [] as number[], incident: [] as number[] };
    for (let i = 1; i <= SAMPLES; i++) {
      const s = await panic(mqttUrl, socket, i);
      quiet.puback.push(s.puback);
      quiet.incident.push(s.incident);
    }

    const runaway = await mqtt.connectAsync(mqttUrl, {
      username: 'p0',
      password: 'secret-0-xyz',
      clientId: 'p0',
    });
    const perThousand: number[] = [];
    const health: number[] = [];
    const during = { puback: [] as number[], incident: [] as number[] };
    let flooding = true;
    const floodDone = flood(runaway, perThousand).finally(() => {
      flooding = false;
    });
    const probe = (async () => {
      for (let i = SAMPLES + 1; i <= 2 * SAMPLES && flooding; i++) {
        const s = await panic(mqttUrl, socket, i);
        during.puback.push(s.puback);
        during.incident.push(s.incident);
        const h0 = performance.now();
        await fetch(`${httpUrl}/api/health`);
        health.push(performance.now() - h0);
      }
    })();
    const f0 = performance.now();
    await floodDone;
    const floodMs = performance.now() - f0;
    await probe;
    await runaway.endAsync();
    socket.close();

    const qp = summary(quiet.puback);
    const qi = summary(quiet.incident);
    const dp = summary(during.puback);
    const di = summary(during.incident);
    const hh = summary(health);
    const first = perThousand[0] ?? Number.NaN;
    const last = perThousand.at(-1) ?? Number.NaN;
    console.log(
      `run ${r} (panel rate ${PANEL_RATE}): flood of ${FLOOD} events into one incident in ${(floodMs / 1000).toFixed(1)} s`,
    );
    console.log(
      `  per flood event: first 1000 ${first.toFixed(2)} ms, last 1000 ${last.toFixed(2)} ms (ratio ${(last / first).toFixed(2)})`,
    );
    console.log(
      `  other sites, no flood:   PUBACK p50 ${fmt(qp.p50)} p99 ${fmt(qp.p99)} | incident:new p50 ${fmt(qi.p50)} p99 ${fmt(qi.p99)}  (n=${qp.n})`,
    );
    console.log(
      `  other sites, with flood: PUBACK p50 ${fmt(dp.p50)} p99 ${fmt(dp.p99)} | incident:new p50 ${fmt(di.p50)} p99 ${fmt(di.p99)}  (n=${dp.n})`,
    );
    console.log(
      `  p99 ratio flood/no flood: PUBACK ${(dp.p99 / qp.p99).toFixed(2)}×, incident:new ${(di.p99 / qi.p99).toFixed(2)}×`,
    );
    console.log(`  /api/health during the flood: p50 ${fmt(hh.p50)} p99 ${fmt(hh.p99)}`);
    console.log(
      `  console received ${updates} incident:update messages, ${(updateBytes / 1e6).toFixed(2)} MB (${(updateBytes / Math.max(1, updates) / 1024).toFixed(1)} KiB each)`,
    );
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let r = 1; r <= RUNS; r++) await run(r);
process.exit(0);
