import { createHash } from 'node:crypto';
import type { Directory } from '../core/directory.js';
import type { Logger } from '../log.js';
import { nextTurn } from '../util/next-turn.js';
import type { FactsProjector } from './facts-projector.js';
import type { FactsStore } from './facts-store.js';

interface Cursor {
  zone: string;
  done: boolean;
  after?: { openedAt: string; id: string };
}

/** Pages are small so that one page is a few milliseconds on the alarm path's connection. */
const PAGE = 200;

/**
 * Brings the reporting tables up to date with what existed before them (an upgrade, a restored
 * database) and after the rating zone changes (days and hours move). Walks every incident once in
 * (opened_at, id) order, a page at a time, yielding between pages; the position is stored, so a
 * restart resumes where it stopped. Incidents changed meanwhile reach the tables through the outbox
 * sink; both write the same facts, so order does not matter.
 */
export class FactsBackfill {
  done = false;
  projected = 0;
  private stopped = false;

  constructor(
    private readonly deps: {
      store: FactsStore;
      projector: FactsProjector;
      tz: string;
      log: Logger;
      page?: number;
    },
  ) {}

  async run(): Promise<number> {
    const { store, log, tz } = this.deps;
    const raw = await store.state('backfill');
    let cursor: Cursor = raw ? (JSON.parse(raw) as Cursor) : { zone: tz, done: false };
    if (cursor.zone !== tz) {
      log.info({ from: cursor.zone, to: tz }, 'reports: rating zone changed; recomputing days and hours');
      cursor = { zone: tz, done: false };
    }
    if (cursor.done) {
      this.done = true;
      return 0;
    }
    const started = Date.now();
    for (;;) {
      if (this.stopped) return this.projected;
      const page = await store.incidentPage(cursor.after, this.deps.page ?? PAGE);
      if (page.length === 0) break;
      this.projected += await this.deps.projector.refresh(page.map((p) => p.id));
      const last = page.at(-1)!;
      cursor = { zone: tz, done: false, after: { openedAt: last.openedAt, id: last.id } };
      await store.setState('backfill', JSON.stringify(cursor));
      // Let the alarm path run between pages.
      await nextTurn();
    }
    await store.datesFromHistory();
    await store.setState('backfill', JSON.stringify({ zone: tz, done: true }));
    this.done = true;
    if (this.projected > 0)
      log.info(
        { incidents: this.projected, seconds: Math.round((Date.now() - started) / 100) / 10 },
        'reports: history projected for reports',
      );
    return this.projected;
  }

  stop(): void {
    this.stopped = true;
  }
}

/** The tree as (ancestor, node) pairs: each node with itself and every node above it. */
export function treePairs(dir: Directory): { ancestor: string; node: string }[] {
  return dir.tree.all().flatMap((n) => n.path.map((ancestor) => ({ ancestor, node: n.id })));
}

/**
 * Writes the tree and the sites of the configuration when they differ from what was written last
 * (a hash in report_state), so a restart with the same city does not rewrite thousands of rows.
 */
export async function syncConfig(store: FactsStore, dir: Directory, nowMs: number): Promise<void> {
  const pairs = treePairs(dir);
  const sites = dir
    .allSites()
    .map((s) => ({ site: s.id, kind: s.kind, jurisdiction: s.jurisdiction }))
    .sort((a, b) => a.site.localeCompare(b.site));
  const hash = createHash('sha256')
    .update(JSON.stringify([pairs, sites]))
    .digest('hex');
  // Read first without the turn: a restart with the same city takes no lock.
  if ((await store.state('config')) === hash) return;
  await store.writeConfig(hash, pairs, sites, nowMs);
}
