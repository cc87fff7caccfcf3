/**
 * Cameras lost together in `/api/health` (every 5 s for the desks' system badge, on every health
 * poll): `CameraLosses.counts` reads every stored loss of the city from `camera_state` (any node may
 * have raised it), keeps the configured cameras and finds the most whose last video lies within the
 * window. On SQLite it runs on the alarm thread: how long does it hold it for a city's cameras (the
 * 14,642 channels of one integrated city), with none lost, and while a district's switches are down?
 *
 * In-process, a real SQLite store. Cases: nothing lost; `--lost` lost within a minute. Taking turns
 * call by call:
 * - `counts()` as the service runs it on SQLite (the node is the only writer: losses kept in memory);
 * - `counts()` reading the rows each time (as a city's node does, here from SQLite);
 * - the bare tool: the same SELECT straight through better-sqlite3 (the least reading the losses can
 *   cost), rows left unread by JavaScript beyond the driver's own.
 *
 *   npx tsx bench/camera-losses.ts [--cameras 14642] [--lost 3000] [--runs 500]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CameraLosses } from '../src/cameras/camera-losses.js';
import { CameraStateStore } from '../src/cameras/camera-state-store.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { fmt, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '14642' },
    lost: { type: 'string', default: '3000' },
    runs: { type: 'string', default: '500' },
  },
});
const CAMERAS = Number(values.cameras);
const LOST = Number(values.lost);
const RUNS = Number(values.runs);

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-camera-losses-'));
const db = new SqliteStore(join(dir, 'sharpeyes.db'));
const ids = Array.from({ length: CAMERAS }, (_, i) => `cam-${i}`);
const states = new CameraStateStore(db.k, { onlyWriter: true });
const rule = { least: 10, share: 0.05, badShare: 0.25 };
const losses = new CameraLosses({ states, cameras: ids, windowMs: 10 * 60_000, rule, judges: () => true });
const reading = new CameraLosses({
  states: new CameraStateStore(db.k),
  cameras: ids,
  windowMs: 10 * 60_000,
  rule,
  judges: () => true,
});
/** The bare tool: the same SELECT through better-sqlite3, prepared once. */
const bareStmt = db.db.prepare(
  'SELECT camera, lost_since, loss_reported, last_frame_at FROM camera_state WHERE lost_since IS NOT NULL',
);
const bare = () => bareStmt.all();

/** Each of `fns` `RUNS` times, taking turns call by call; ms per call. */
async function turns(fns: Array<() => unknown>): Promise<number[][]> {
  const out = fns.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++)
    for (let k = 0; k < fns.length; k++) {
      const j = (r + k) % fns.length;
      const t = performance.now();
      await fns[j]!();
      out[j]!.push(performance.now() - t);
    }
  return out;
}

const row = (name: string, xs: number[], base: number[]) => {
  const s = summary(xs);
  const b = summary(base);
  return `| ${name} | ${fmt(s.p50)} / ${fmt(s.p99)} / ${fmt(s.max)} | ${(s.p50 / b.p50).toFixed(1)}× / ${(s.p99 / b.p99).toFixed(1)}× |`;
};

try {
  // Every camera has a row (each was lost and restored once), as in a city that has run a while.
  const t0 = Date.parse('2026-12-06T08:00:00Z');
  db.db.transaction(() => {
    const put = db.db.prepare(
      'INSERT INTO camera_state (camera, lost_since, loss_reported, updated_at, last_frame_at) VALUES (?, NULL, 0, ?, NULL)',
    );
    for (const id of ids) put.run(id, new Date(t0).toISOString());
  })();
  await turns([() => losses.counts(), () => reading.counts(), bare]); // warm-up, unmeasured
  console.log(`${CAMERAS} cameras, ${RUNS} calls a side, taking turns (after as many unmeasured):\n`);
  console.log('| case, code | p50 / p99 / max ms | ÷ bare SELECT p50 / p99 |');
  console.log('|---|---|---|');
  for (const c of ['nothing lost', `${LOST} lost within a minute`]) {
    if (c !== 'nothing lost') {
      for (let i = 0; i < LOST; i++) {
        const last = t0 + (i * 60_000) / LOST;
        await states.setLoss(
          ids[i]!,
          new Date(last + 10_000).toISOString(),
          true,
          new Date(last).toISOString(),
        );
      }
      for (const l of [losses, reading]) {
        const counts = await l.counts();
        if (counts.lostTogether !== LOST || counts.lost !== LOST)
          throw new Error(`expected ${LOST} lost together, counted ${JSON.stringify(counts)}`);
      }
    }
    const [now, read, b] = await turns([() => losses.counts(), () => reading.counts(), bare]);
    console.log(row(`${c}: counts(), losses in memory (SQLite, as run)`, now!, b!));
    console.log(row(`${c}: counts(), reading the rows (as a city's node)`, read!, b!));
    const bs = summary(b!);
    console.log(`| ${c}: bare SELECT | ${fmt(bs.p50)} / ${fmt(bs.p99)} / ${fmt(bs.max)} | 1.0× / 1.0× |`);
  }
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
