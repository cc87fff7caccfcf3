import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, summary } from './harness.js';

/**
 * Where a service panic's PUBACK time goes (issue 13, `bench/panic-recording.ts --split`). The
 * preload (`puback-split-preload.mjs`, given to the service's node) notes when the service's event
 * loop read each QoS 1 PUBLISH and when it wrote the PUBACK; the bench knows when it published and
 * when the PUBACK reached it. So each panic's time splits into three:
 * - `toRead`: publish → the service reads it (the loop busy with other work, or its thread waiting
 *   for a core, or the kernel's loopback);
 * - `inService`: read → PUBACK written (parse, authorize, the decision and its commit's fsync), and
 *   of that the time in SQLite's statements and in the COMMIT alone;
 * - `toPanel`: written → the bench's panel has it (the bench's own process waking and running).
 * Garbage collections in the service are noted too, to count the slow panics one overlapped.
 */
export const SPLIT_PRELOAD = join(ROOT, 'bench', 'lib', 'puback-split-preload.mjs');

export interface SplitRecords {
  /** Epoch ms, sorted by `read`; between the two, ms in SQLite's statements and in its COMMITs. */
  pubacks: { read: number; written: number; sqlite: number; commit: number }[];
  gcs: { start: number; duration: number }[];
}

/** The preload's file (absent when the service wrote nothing). */
export function readSplit(file: string): SplitRecords {
  const out: SplitRecords = { pubacks: [], gcs: [] };
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [kind, a, b, c, d] = line.split(' ');
    if (kind === 'p')
      out.pubacks.push({ read: Number(a), written: Number(b), sqlite: Number(c), commit: Number(d) });
    else if (kind === 'g') out.gcs.push({ start: Number(a), duration: Number(b) });
  }
  out.pubacks.sort((x, y) => x.read - y.read);
  return out;
}

export interface PanicSplit {
  total: number;
  toRead: number;
  inService: number;
  toPanel: number;
  /** Of `inService`: in SQLite's statements, and of those in the COMMITs (the fsync). */
  sqlite: number;
  commit: number;
  /** A service garbage collection overlapped the panic. */
  gc: boolean;
}

/** Slack at either end of a panic: the two processes round their clocks differently (ms). */
const SLACK_MS = 0.1;

/** The first index whose `read` is at least `t`. */
function firstFrom(xs: readonly { read: number }[], t: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]!.read < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Each panic (`at`, its publish in epoch ms; `puback`, ms to its PUBACK) matched with the one read the
 * service noted inside it. The panics are one at a time, so there is exactly one; a panic with none or
 * more (a record lost at the service's stop) is counted in `unmatched` and left out.
 */
export function splitPanics(
  panics: readonly { at: number; puback: number }[],
  rec: SplitRecords,
): { split: PanicSplit[]; unmatched: number } {
  const split: PanicSplit[] = [];
  let unmatched = 0;
  for (const { at, puback } of panics) {
    const end = at + puback;
    const i = firstFrom(rec.pubacks, at - SLACK_MS);
    const inside = [];
    for (let j = i; j < rec.pubacks.length && rec.pubacks[j]!.read <= end; j++) inside.push(rec.pubacks[j]!);
    const r = inside[0];
    if (inside.length !== 1 || !r || r.written > end + SLACK_MS) {
      unmatched++;
      continue;
    }
    split.push({
      total: puback,
      toRead: Math.max(0, r.read - at),
      inService: r.written - r.read,
      toPanel: Math.max(0, end - r.written),
      sqlite: r.sqlite,
      commit: r.commit,
      gc: rec.gcs.some((g) => g.start < end && g.start + g.duration > at),
    });
  }
  return { split, unmatched };
}

const f2 = (x: number) => x.toFixed(2);

type Part = 'toRead' | 'inService' | 'sqlite' | 'commit' | 'toPanel';
const PARTS: Part[] = ['toRead', 'inService', 'sqlite', 'commit', 'toPanel'];

/** Each part as `a / b [c / d] / e`: publish → read / in the service [in SQLite / in COMMIT] / → panel. */
const row = (v: (p: Part) => number) => {
  const [r, i, q, c, w] = PARTS.map((p) => f2(v(p)));
  return `${r} / ${i} [${q} / ${c}] / ${w}`;
};

/** The split's percentiles, the slowest 5 %'s means, and how many of those a GC overlapped. */
export function describeSplit(split: readonly PanicSplit[], unmatched = 0): string {
  if (split.length === 0) return `split: no panic matched (${unmatched} unmatched)`;
  const of = Object.fromEntries(PARTS.map((p) => [p, summary(split.map((s) => s[p]))])) as Record<
    Part,
    ReturnType<typeof summary>
  >;
  const slowest = [...split]
    .sort((a, b) => b.total - a.total)
    .slice(0, Math.max(1, Math.round(split.length / 20)));
  const withGc = slowest.filter((s) => s.gc).length;
  const mean = (p: Part) => slowest.reduce((a, s) => a + s[p], 0) / slowest.length;
  return (
    'split, ms (publish → read / read → PUBACK written [of it in SQLite / in COMMIT] / written → panel): ' +
    `p50 ${row((p) => of[p].p50)}, p99 ${row((p) => of[p].p99)}, max ${row((p) => of[p].max)}; ` +
    `the slowest ${slowest.length}: mean ${row(mean)}, ${withGc} with a GC in the service` +
    (unmatched > 0 ? `; ${unmatched} unmatched` : '')
  );
}
