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
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cityYaml } from './lib/city.js';
import {
  type BenchPanel,
  fmt,
  summary,
  timedPanics,
  withBareAedes,
  withBenchService,
} from './lib/harness.js';

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
  panel: (i: number) => BenchPanel,
  arrived: () => Promise<void>,
): Promise<Run> {
  const cpu0 = cpuMs(pid);
  const { puback } = await timedPanics(url, PANICS, panel, arrived, PAUSE);
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

function bareRun(): Promise<Run> {
  return withBareAedes(true, ({ url, child, panel, arrived }) => panics(url, child.pid!, panel, arrived));
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
