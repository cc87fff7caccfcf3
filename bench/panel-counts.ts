/**
 * The panels' counts in `/api/health` (every 5 s for the desks' system badge, and each minute for
 * 系统状态's history): `SupervisionMaintainer.counts` walks every supervised panel once for how many
 * are online and lost, and sorts the lost ones' silences for the most lost together (panels lost
 * together are one trouble of the receiver). It runs on the alarm thread: how long does it hold it
 * for a city's panels, and while a district's carrier is down?
 *
 * In-process, real supervision on SQLite with `--panels` panels, each heard once. Two cases: every
 * panel online, and `--lost` of them dropped (their wills, a second apart in the panels' clocks).
 * Taking turns call by call with:
 * - the bare runtime: one loop over a Map of as many plain objects, counting a boolean (the least a
 *   count of panels online can cost);
 * - the health code before stop 44, which only counted online panels (a copy of each panel's state).
 *
 *   npx tsx bench/panel-counts.ts [--panels 10000] [--lost 2000] [--runs 1000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/log.js';
import { PanelStore } from '../src/panels/panel-store.js';
import { SupervisionMaintainer } from '../src/panels/supervision-maintainer.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { fmt, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    panels: { type: 'string', default: '10000' },
    lost: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '1000' },
  },
});
const PANELS = Number(values.panels);
const LOST = Number(values.lost);
const RUNS = Number(values.runs);
const WINDOW_MS = 10 * 60_000;

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-panel-counts-'));
const db = new SqliteStore(join(dir, 'sharpeyes.db'));
const panels = Array.from({ length: PANELS }, (_, i) => ({
  id: `p${i}`,
  site: `s${i}`,
  heartbeatSeconds: 3600,
}));
let clock = Date.parse('2026-12-06T08:00:00Z');
const sup = new SupervisionMaintainer({
  panels,
  store: new PanelStore(db.k),
  ingest: async () => ({ duplicate: false }),
  log: silentLogger,
  now: () => clock,
});
await sup.start();
for (const p of panels) sup.heartbeat(p.id, {});

/** The bare runtime: as many plain objects in a Map, one loop counting a boolean. */
const bare = new Map(panels.map((p) => [p.id, { online: true }]));
const bareCount = () => {
  let n = 0;
  for (const s of bare.values()) if (s.online) n++;
  return n;
};
/** The health code before stop 44: online panels only, through a copy of each state. */
const before = () => panels.filter((p) => sup.state(p.id)?.online).length;

/** Each of `fns` `RUNS` times, taking turns call by call; ms per call. */
function turns(fns: Array<() => unknown>): number[][] {
  const out = fns.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++)
    for (let k = 0; k < fns.length; k++) {
      const j = (r + k) % fns.length;
      const t = performance.now();
      fns[j]!();
      out[j]!.push(performance.now() - t);
    }
  return out;
}

const line = (name: string, xs: number[], base: number[]) => {
  const s = summary(xs);
  const b = summary(base);
  return `| ${name} | ${fmt(s.p50)} / ${fmt(s.p99)} / ${fmt(s.max)} | ${(s.p50 / b.p50).toFixed(1)}× / ${(s.p99 / b.p99).toFixed(1)}× |`;
};

try {
  // Warm-up: every side compiled before anything is timed.
  turns([() => sup.counts(WINDOW_MS), before, bareCount]);
  console.log(`${PANELS} panels, ${RUNS} calls a side, taking turns (after as many unmeasured):\n`);
  console.log('| case, code | p50 / p99 / max | ÷ bare runtime p50 / p99 |');
  console.log('|---|---|---|');
  for (const c of ['every panel online', `${LOST} lost together`]) {
    if (c !== 'every panel online') {
      for (let i = 0; i < LOST; i++) {
        clock += 1_000 / (LOST / 60); // a district's panels over a minute
        sup.heartbeat(`p${i}`, {});
        sup.offline(`p${i}`);
        bare.get(`p${i}`)!.online = false;
      }
      await sup.settled();
      const counts = sup.counts(WINDOW_MS);
      if (counts.together !== LOST)
        throw new Error(`expected ${LOST} lost together, counted ${counts.together}`);
    }
    const [now, old, b] = turns([() => sup.counts(WINDOW_MS), before, bareCount]);
    console.log(line(`${c}: counts() (online, lost, lost together)`, now!, b!));
    console.log(line(`${c}: before stop 44 (online only)`, old!, b!));
    const bs = summary(b!);
    console.log(`| ${c}: bare runtime | ${fmt(bs.p50)} / ${fmt(bs.p99)} / ${fmt(bs.max)} | 1.0× / 1.0× |`);
  }
} finally {
  await sup.stop();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
