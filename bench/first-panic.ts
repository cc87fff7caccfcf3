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
import { parseArgs } from 'node:util';
import { cityYaml } from './lib/city.js';
import { fmt, percentile, timedPanics, withBareAedes, withBenchService } from './lib/harness.js';

const { values } = parseArgs({
  options: { starts: { type: 'string', default: '8' }, panics: { type: 'string', default: '20' } },
});
const STARTS = Number(values.starts);
const PANICS = Number(values.panics);

/** Per panic of a round, in ms: to its PUBACK, and to `incident:new` (bare: to the subscriber). */
type Round = Awaited<ReturnType<typeof timedPanics>>;

function serviceRound(): Promise<Round> {
  return withBenchService(cityYaml(PANICS), ({ mqttUrl, socket }) =>
    timedPanics(
      mqttUrl,
      PANICS,
      (i) => ({
        opts: { username: `p${i}`, password: `secret-${i}-xyz`, clientId: `p${i}` },
        topic: `sharpeyes/panels/p${i}/event`,
      }),
      () => new Promise<void>((r) => socket.once('incident:new', () => r())),
    ),
  );
}

function bareRound(sqlite: boolean): Promise<Round> {
  return withBareAedes(sqlite, ({ url, panel, arrived }) => timedPanics(url, PANICS, panel, arrived));
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
