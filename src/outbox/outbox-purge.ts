import type { Kysely } from 'kysely';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { DB } from '../store/db-types.js';
import { relaxedTransaction } from '../store/relaxed.js';
import { nextTurn } from '../util/next-turn.js';
import { SingleFlight } from '../util/single-flight.js';

/** What one purge did. */
export interface PurgeResult {
  /** Rows deleted. */
  deleted: number;
  /** Every row up to this sequence number is gone (0: none was). */
  through: number;
  /** Stored cursors dropped: sinks no node runs any more (see `OutboxPurge`). */
  dropped: string[];
}

/**
 * Rows per delete, each a transaction of its own, and the rest between two. On SQLite a delete holds
 * the alarm thread, and the pages it frees bring SQLite's checkpoint sooner. `bench/outbox-purge.ts`
 * (300,000 rows 30 days old, a panic every 2 ms): at 1,000 rows and 20 ms the panics' p99 was 1.31×
 * their p99 without a purge; at 500 and 40 ms, 0.92× (no difference), and the purge took 25 s, so a
 * million rows still go in under two minutes. Steady state is an hour's rows a purge.
 */
const CHUNK_ROWS = 500;
const REST_MS = 40;

/**
 * Deletes outbox rows every sink has passed once they are older than `keepDays`: each decision leaves
 * two or three rows, which otherwise stay for good (a city's year is millions of rows).
 *
 * Which rows may go: those older than `keepDays` (a row's `at`; found by sequence number, which rises
 * with it, so no index on time is needed), below every sink's stored cursor, and never the newest row
 * (`Outbox.tail` reads it). The rows are the sinks' only copy of what they have not handled, so a sink
 * that is failing holds the purge back for as long as it fails; its lag shows on `/metrics`.
 *
 * A cursor no sink moves any more would hold it back for good: a node of a cluster that has left
 * (its bus relay's `bus:<node>`, and a node's default id changes at each restart) or a sink removed
 * from the configuration. A stored cursor is dropped when no sink of this node has its name
 * (`running`: every node runs the same exclusive sinks), it has not moved for `keepDays`, and it is
 * still behind rows that old. A sink that comes back without its cursor starts at the tail, as a new
 * sink does.
 */
export class OutboxPurge {
  private timer: NodeJS.Timeout | undefined;
  private readonly flight = new SingleFlight(
    async () => {
      await this.purge();
    },
    (err) => this.deps.log.error({ err }, 'outbox: purge failed; trying again later'),
  );
  private readonly purged;
  private readonly droppedTotal;
  private readonly oldest;
  private readonly size;

  constructor(
    private readonly deps: {
      k: Kysely<DB>;
      keepDays: number;
      /** The names of the sinks running on this node (`OutboxDispatcher.positions`). */
      sinks: () => Iterable<string>;
      log: Logger;
      metrics: Metrics;
      now?: () => Date;
      /** Rows per delete (default 500) and the rest between two (default 40 ms). */
      chunkRows?: number;
      restMs?: number;
    },
  ) {
    this.purged = deps.metrics.counter(
      'sharpeyes_outbox_purged_rows_total',
      'Outbox rows deleted once every sink had passed them and they were older than storage.outboxKeepDays',
    );
    this.oldest = deps.metrics.gauge(
      'sharpeyes_outbox_oldest_seconds',
      'Age of the oldest outbox row after the last purge: above storage.outboxKeepDays, a sink is holding rows (see sharpeyes_outbox_lag_rows)',
    );
    this.size = deps.metrics.gauge(
      'sharpeyes_outbox_rows',
      'Outbox rows after the last purge (from their sequence numbers: at most this many)',
    );
    this.droppedTotal = deps.metrics.counter(
      'sharpeyes_outbox_cursors_dropped_total',
      'Stored outbox cursors of sinks no node runs any more (a departed node, a removed sink), dropped by the purge',
    );
  }

  /**
   * Purges `firstMs` after the start (not during it: a restart has its own catching up to do), then
   * every `everyMs`. One node of a city runs it (`timer:outbox-purge`).
   */
  start(everyMs: number, firstMs = 60_000): void {
    if (this.timer) return;
    const run = () => void this.flight.run();
    this.timer = setTimeout(() => {
      run();
      this.timer = setInterval(run, everyMs);
      this.timer.unref();
    }, firstMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flight.settled();
  }

  /** One purge, then the outbox's size and age on /metrics. */
  async purge(): Promise<PurgeResult> {
    const now = (this.deps.now ?? (() => new Date()))();
    const result = await this.sweep(now);
    const oldest = await this.firstFrom(0);
    const newest = await this.end('max');
    this.oldest.set(oldest ? Math.max(0, (now.getTime() - Date.parse(oldest.at)) / 1000) : 0);
    this.size.set(oldest ? newest - Number(oldest.seq) + 1 : 0);
    return result;
  }

  /**
   * The outbox's lowest or highest sequence number (0 when empty), each read on its own: SQLite
   * answers min() or max() alone from the key's b-tree, but scans the whole table for both in one
   * SELECT (28 ms at 100,000 rows, on the alarm thread).
   */
  private async end(fn: 'min' | 'max'): Promise<number> {
    const r = await this.deps.k
      .selectFrom('outbox')
      .select((eb) => eb.fn[fn]('seq').as('seq'))
      .executeTakeFirst();
    return Number(r?.seq ?? 0);
  }

  /** The first row from `seq` on, found by key. */
  private firstFrom(seq: number) {
    return this.deps.k
      .selectFrom('outbox')
      .select(['seq', 'at'])
      .where('seq', '>=', seq)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
  }

  private async sweep(now: Date): Promise<PurgeResult> {
    const { k, keepDays, log } = this.deps;
    const cutoff = new Date(now.getTime() - keepDays * 86_400_000).toISOString();
    const first = await this.end('min');
    const last = await this.end('max');
    if (last === 0) return { deleted: 0, through: 0, dropped: [] };
    // Rows older than the cutoff, never the newest.
    let bound = Math.min(await this.olderThrough(first, last, cutoff), last - 1);
    if (bound < first) return { deleted: 0, through: 0, dropped: [] };

    const running = new Set(this.deps.sinks());
    const cursors = await k.selectFrom('outbox_cursors').select(['sink', 'seq', 'updated_at']).execute();
    const dropped: string[] = [];
    for (const c of cursors) {
      const seq = Number(c.seq);
      if (seq >= bound) continue;
      if (!running.has(c.sink) && c.updated_at < cutoff) dropped.push(c.sink);
      else bound = seq;
    }
    if (dropped.length > 0) {
      await k
        .deleteFrom('outbox_cursors')
        .where('sink', 'in', dropped)
        .where('updated_at', '<', cutoff)
        .execute();
      this.droppedTotal.inc(dropped.length);
      log.warn(
        { sinks: dropped, keepDays },
        'outbox: cursors of sinks no node runs dropped (not moved for keepDays); they start at the tail if they return',
      );
    }

    const chunk = this.deps.chunkRows ?? CHUNK_ROWS;
    const rest = this.deps.restMs ?? REST_MS;
    let deleted = 0;
    for (let from = first - 1; from < bound; from += chunk) {
      const to = Math.min(from + chunk, bound);
      // A purge lost in a crash is only done again: its commit need not wait for the disk.
      const r = await relaxedTransaction(k, (tx) =>
        tx.deleteFrom('outbox').where('seq', '>', from).where('seq', '<=', to).executeTakeFirst(),
      );
      const n = Number(r.numDeletedRows);
      deleted += n;
      this.purged.inc(n);
      await (rest > 0 ? new Promise((r) => setTimeout(r, rest)) : nextTurn());
    }
    if (deleted > 0)
      log.info({ deleted, through: bound, keepDays }, 'outbox: rows every sink had passed purged');
    return { deleted, through: bound, dropped };
  }

  /**
   * The last sequence number whose row is older than `cutoff` (`first - 1` when none is): a binary
   * search by key, about 20 reads for a million rows. `at` rises with `seq` (within a cluster's clock
   * skew, which is nothing beside days).
   */
  private async olderThrough(first: number, last: number, cutoff: string): Promise<number> {
    const head = await this.firstFrom(first);
    if (!head || head.at >= cutoff) return first - 1;
    let lo = Number(head.seq);
    let hi = last;
    while (lo < hi) {
      const mid = lo + Math.ceil((hi - lo) / 2);
      const r = await this.firstFrom(mid);
      const seq = Number(r?.seq ?? Number.POSITIVE_INFINITY);
      if (r && seq <= hi && r.at < cutoff) lo = seq;
      else hi = mid - 1;
    }
    return lo;
  }
}
