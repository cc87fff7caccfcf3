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
 * `--statements` loads `bench/lib/puback-statements-preload.mjs` into the service and prints, over
 * every run's panics, what the alarm thread did between reading a panic and writing its PUBACK: the
 * SQLite statements it ran (each one's count and mean time a panic), and p50 / p90 / p99 of the whole,
 * of the `COMMIT` (with its fsync), of the other statements and of the rest (JavaScript); then the
 * slowest 1 % one by one. The preload costs the service a little: compare runs with it to each other.
 *
 *   npx tsx bench/panic-cpu.ts [--panics 300] [--runs 3] [--pause 0] [--statements]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cityYaml } from './lib/city.js';
import {
  type BenchPanel,
  fmt,
  percentile,
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
    statements: { type: 'boolean', default: false },
  },
});
const PANICS = Number(values.panics);
const RUNS = Number(values.runs);
const PAUSE = Number(values.pause);
const STATEMENTS_PRELOAD = join(import.meta.dirname, 'lib', 'puback-statements-preload.mjs');
const statementsDir = values.statements
  ? mkdtempSync(join(tmpdir(), 'sharpeyes-bench-statements-'))
  : undefined;
const statementsFile = statementsDir ? join(statementsDir, 'statements.jsonl') : '';

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
  return withBenchService(
    cityYaml(PANICS),
    ({ child, mqttUrl, socket }) =>
      panics(
        mqttUrl,
        child.pid!,
        (i) => ({
          opts: { username: `p${i}`, password: `secret-${i}-xyz`, clientId: `p${i}` },
          topic: `sharpeyes/panels/p${i}/event`,
        }),
        () => new Promise<void>((r) => socket.once('incident:new', () => r())),
      ),
    statementsFile
      ? { nodeArgs: ['--import', STATEMENTS_PRELOAD], env: { BENCH_STATEMENTS_FILE: statementsFile } }
      : {},
  );
}

/** One panic as the preload saw it: read → PUBACK, and each statement with its time. */
interface Traced {
  ms: number;
  q: [string, number][];
}

/** `--statements`: what the alarm thread did between each panic's read and its PUBACK. */
function describeStatements(file: string): string {
  const traced = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Traced);
  // The embedded broker's start-up rehearsal is a panic too, through MQTT, whose decision is rolled back.
  const rehearsal = (t: Traced) => t.q.some(([sql]) => /^\s*rollback/i.test(sql));
  const panics = traced.filter((t) => !rehearsal(t));
  const isCommit = (sql: string) => /^\s*commit/i.test(sql);
  const sums = (t: Traced) => {
    const commit = t.q.filter(([sql]) => isCommit(sql)).reduce((a, [, ms]) => a + ms, 0);
    const sql = t.q.reduce((a, [, ms]) => a + ms, 0);
    return { all: t.ms, commit, other: sql - commit, js: t.ms - sql };
  };
  const parts = panics.map(sums);
  const n = panics.length;
  const byStatement = new Map<string, { count: number; ms: number }>();
  for (const t of panics)
    for (const [sql, ms] of t.q) {
      const s = byStatement.get(sql) ?? { count: 0, ms: 0 };
      s.count += 1;
      s.ms += ms;
      byStatement.set(sql, s);
    }
  const row = (name: string, xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `  ${name.padEnd(28)} p50 ${fmt(percentile(s, 50))}  p90 ${fmt(percentile(s, 90))}  p99 ${fmt(percentile(s, 99))}`;
  };
  const slowest = [...parts].sort((a, b) => b.all - a.all).slice(0, Math.max(1, Math.ceil(n / 100)));
  return [
    `statements between a panic's read and its PUBACK (${n} panics, ${traced.length - n} start-up rehearsals left out, ${(
      panics.reduce((a, t) => a + t.q.length, 0) / n
    ).toFixed(1)} statements a panic):`,
    ...[...byStatement]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(
        ([sql, s]) => `  ${(s.count / n).toFixed(2)} a panic, ${fmt(s.ms / n)} a panic  ${sql.slice(0, 110)}`,
      ),
    row(
      'read → PUBACK',
      parts.map((p) => p.all),
    ),
    row(
      'of it in COMMIT',
      parts.map((p) => p.commit),
    ),
    row(
      'in the other statements',
      parts.map((p) => p.other),
    ),
    row(
      'the rest (JavaScript)',
      parts.map((p) => p.js),
    ),
    `the slowest 1 % (read → PUBACK = COMMIT + other statements + the rest):`,
    ...slowest.map((p) => `  ${fmt(p.all)} = ${fmt(p.commit)} + ${fmt(p.other)} + ${fmt(p.js)}`),
  ].join('\n');
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
if (statementsDir) {
  console.log(describeStatements(statementsFile));
  rmSync(statementsDir, { recursive: true, force: true });
}
process.exit(0);
