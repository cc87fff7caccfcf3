/**
 * Issue 13: what one panic costs the service's process, against bare Aedes + SQLite in the same run.
 * The service runs alone (no cameras, embedded Aedes, SQLite WAL synchronous=FULL) with `--panics`
 * panels; each panel connects, publishes one `panic` at QoS 1, waits for its PUBACK and for
 * `incident:new` on an operator's /ops socket, and disconnects; the next starts at once (or after
 * `--pause` ms). Printed per run: the process's CPU time (user + system, from /proc) per panic over
 * the panics only, and panic → PUBACK p50 / p90 / p99; then the same loop against bare Aedes
 * inserting each publish into SQLite before its PUBACK (bench/lib/bare-aedes.ts).
 *
 * CPU per panic is what a change to the path shows through this machine's noise (steal moves the
 * latencies of a run by 2×, the CPU time much less): to compare two versions, run this from each
 * checkout in turn, several times.
 *
 *   npx tsx bench/panic-cpu.ts [--panics 300] [--runs 3] [--pause 0]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { cityYaml } from './lib/city.js';
import { fmt, spawnUntil, stopChild, summary, withBenchService } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    panics: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    pause: { type: 'string', default: '0' },
  },
});
const PANICS = Number(values.panics);
const RUNS = Number(values.runs);
const PAUSE = Number(values.pause);

/** The child's CPU time so far (user + system), in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const tick = 10; // USER_HZ is 100 on Linux
  return (Number(fields[11]) + Number(fields[12])) * tick;
}

interface Run {
  cpuPerPanic: number;
  puback: number[];
}

async function panics(
  url: string,
  pid: number,
  panel: (i: number) => { opts: mqtt.IClientOptions; topic: string },
  arrived: () => Promise<void>,
): Promise<Run> {
  const puback: number[] = [];
  const cpu0 = cpuMs(pid);
  for (let i = 0; i < PANICS; i++) {
    const p = panel(i);
    const client = await mqtt.connectAsync(url, p.opts);
    const t0 = performance.now();
    const got = arrived();
    await client.publishAsync(
      p.topic,
      JSON.stringify({ id: `b${i}`, type: 'panic', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    puback.push(performance.now() - t0);
    await got;
    await client.endAsync();
    if (PAUSE > 0) await new Promise((r) => setTimeout(r, PAUSE));
  }
  return { cpuPerPanic: (cpuMs(pid) - cpu0) / PANICS, puback };
}

async function serviceRun(): Promise<Run> {
  return withBenchService(cityYaml(PANICS), ({ child, mqttUrl, socket }) =>
    panics(
      mqttUrl,
      child.pid!,
      (i) => ({
        opts: { username: `p${i}`, password: `secret-${i}-xyz`, clientId: `p${i}` },
        topic: `sharpeyes/panels/p${i}/event`,
      }),
      () => new Promise<void>((r) => socket.once('incident:new', () => r())),
    ),
  );
}

async function bareRun(): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-cpu-bare-'));
  const { child, captures } = await spawnUntil(
    ['bench/lib/bare-aedes.ts', '--sqlite', dir],
    [/BARE_AEDES_PORT=(\d+)/],
  );
  const url = `mqtt://127.0.0.1:${captures[0]}`;
  try {
    const sub = await mqtt.connectAsync(url, { clientId: 'bare-sub' });
    await sub.subscribeAsync('bench/+/event', { qos: 1 });
    const run = await panics(
      url,
      child.pid!,
      (i) => ({ opts: { clientId: `bare-p${i}` }, topic: `bench/p${i}/event` }),
      () => new Promise<void>((r) => sub.once('message', () => r())),
    );
    await sub.endAsync();
    return run;
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const line = (name: string, r: Run) => {
  const s = summary(r.puback);
  return `${name}: CPU ${r.cpuPerPanic.toFixed(2)} ms a panic, PUBACK p50 ${fmt(s.p50)} p90 ${fmt(s.p90)} p99 ${fmt(s.p99)}`;
};
for (let r = 1; r <= RUNS; r++) {
  const svc = await serviceRun();
  const bare = await bareRun();
  console.log(
    `run ${r} (${PANICS} panics, pause ${PAUSE} ms) | ${line('service', svc)} | ${line('bare Aedes + SQLite', bare)}`,
  );
}
process.exit(0);
