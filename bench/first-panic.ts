/**
 * Issue 13: the first panics after a start, which after a restart are the ones panels redeliver at
 * once. Each round starts the service afresh (no cameras, embedded Aedes, SQLite WAL
 * synchronous=FULL, a fresh data dir, an operator's /ops socket) and sends `--panics` panics from
 * their own panels in turn (connect, publish a `panic` at QoS 1, PUBACK, `incident:new`, disconnect),
 * then the same against bare Aedes and bare Aedes + SQLite, each started afresh (bench/lib/bare-aedes.ts).
 * Printed per round: the first three PUBACKs of each; at the end, over all rounds, the first panic's
 * PUBACK and `incident:new` (bare: its arrival at a subscriber), p50 and max over the starts, the
 * second's, and the later panics' p50 and p99, for each side.
 *
 *   npx tsx bench/first-panic.ts [--starts 8] [--panics 20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { cityYaml } from './lib/city.js';
import { fmt, percentile, spawnUntil, stopChild, withBenchService } from './lib/harness.js';

const { values } = parseArgs({
  options: { starts: { type: 'string', default: '8' }, panics: { type: 'string', default: '20' } },
});
const STARTS = Number(values.starts);
const PANICS = Number(values.panics);

/** Per panic of a round, in ms: to its PUBACK, and to `incident:new` (bare: to the subscriber). */
interface Round {
  puback: number[];
  arrival: number[];
}

async function panics(
  url: string,
  panel: (i: number) => { opts: mqtt.IClientOptions; topic: string },
  arrived: () => Promise<void>,
): Promise<Round> {
  const puback: number[] = [];
  const arrival: number[] = [];
  for (let i = 0; i < PANICS; i++) {
    const p = panel(i);
    const client = await mqtt.connectAsync(url, { ...p.opts, reconnectPeriod: 0 });
    const t0 = performance.now();
    const got = arrived();
    await client.publishAsync(
      p.topic,
      JSON.stringify({ id: `b${i}`, type: 'panic', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    puback.push(performance.now() - t0);
    await got;
    arrival.push(performance.now() - t0);
    await client.endAsync();
  }
  return { puback, arrival };
}

function serviceRound(): Promise<Round> {
  return withBenchService(cityYaml(PANICS), ({ mqttUrl, socket }) =>
    panics(
      mqttUrl,
      (i) => ({
        opts: { username: `p${i}`, password: `secret-${i}-xyz`, clientId: `p${i}` },
        topic: `sharpeyes/panels/p${i}/event`,
      }),
      () => new Promise<void>((r) => socket.once('incident:new', () => r())),
    ),
  );
}

async function bareRound(sqlite: boolean): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-first-'));
  const { child, captures } = await spawnUntil(
    ['bench/lib/bare-aedes.ts', ...(sqlite ? ['--sqlite', dir] : [])],
    [/BARE_AEDES_PORT=(\d+)/],
  );
  const url = `mqtt://127.0.0.1:${captures[0]}`;
  try {
    const sub = await mqtt.connectAsync(url, { clientId: 'bare-sub' });
    await sub.subscribeAsync('bench/+/event', { qos: 1 });
    const out = await panics(
      url,
      (i) => ({ opts: { clientId: `bare-p${i}` }, topic: `bench/p${i}/event` }),
      () => new Promise<void>((r) => sub.once('message', () => r())),
    );
    await sub.endAsync();
    return out;
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const sides = { service: [] as Round[], bare: [] as Round[], bareSqlite: [] as Round[] };
const three = (xs: number[]) =>
  xs
    .slice(0, 3)
    .map((x) => x.toFixed(1))
    .join(', ');
for (let s = 0; s < STARTS; s++) {
  sides.service.push(await serviceRound());
  sides.bare.push(await bareRound(false));
  sides.bareSqlite.push(await bareRound(true));
  console.log(
    `start ${s + 1}: first PUBACKs service ${three(sides.service.at(-1)!.puback)} | bare Aedes ${three(sides.bare.at(-1)!.puback)} | bare Aedes + SQLite ${three(sides.bareSqlite.at(-1)!.puback)} ms`,
  );
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
console.log(`\n${STARTS} starts × ${PANICS} panics:`);
for (const [name, rounds] of Object.entries(sides)) {
  for (const what of ['puback', 'arrival'] as const) {
    const first = sorted(rounds.map((r) => r[what][0]!));
    const second = sorted(rounds.map((r) => r[what][1]!));
    const later = sorted(rounds.flatMap((r) => r[what].slice(3)));
    const label = what === 'puback' ? 'PUBACK' : name === 'service' ? 'incident:new' : 'to subscriber';
    console.log(
      `${name.padEnd(11)} ${label.padEnd(13)} first p50 ${fmt(percentile(first, 50))} max ${fmt(first.at(-1)!)} | second p50 ${fmt(percentile(second, 50))} max ${fmt(second.at(-1)!)} | 4th on p50 ${fmt(percentile(later, 50))} p99 ${fmt(percentile(later, 99))}`,
    );
  }
}
