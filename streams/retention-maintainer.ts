import { statfs, unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { type ReconcileReport, reconcileStorage, recoverRecent } from './retention-reconcile.js';
import type { Segment, SegmentIndex } from './segment-index.js';
import { resolveInside } from './segment-paths.js';

export type { ReconcileReport } from './retention-reconcile.js';

export interface StoragePath {
  path: string;
  maxBytes?: number | undefined;
}

export interface RetentionOptions {
  index: SegmentIndex;
  paths: StoragePath[];
  retentionDays: number;
  /** Purge when the disk has room for less than this many hours at the current recording rate. */
  minFreeHours: number;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Free bytes of the file system holding `path` (statfs); injectable for tests. */
  freeBytes?: (path: string) => Promise<number>;
  now?: () => number;
  /** The camera id a (sanitised) directory name belongs to, for files recovered at start. */
  cameraOfDir?: (dir: string) => string | undefined;
  /** Export retention: deletes exports created before the cutoff (file and row); returns how many. */
  exports?: { retentionDays: number; expire(cutoffMs: number): Promise<number> };
  /** Most segments deleted in one pass (default 500): the rest go in the next pass, a second later. */
  maxDeletesPerPass?: number;
}

export interface RetentionReport {
  byAge: number;
  byBytes: number;
  byDisk: number;
  bytesFreed: number;
  /** Evidence exports deleted for age. */
  exports: number;
  /** The pass stopped at its batch cap: more is due. */
  more: boolean;
}

async function statfsFree(path: string): Promise<number> {
  const s = await statfs(path);
  return Number(s.bavail) * Number(s.bsize);
}

/**
 * A storage path's room as the last pass found it: `short` when it had less than `minFreeHours` of
 * recording left (the oldest footage is purged early), `full` when it was short and every segment
 * it could purge is under an evidence lock or a playback hold (new footage cannot be written).
 */
export interface StorageRoom {
  path: string;
  short: boolean;
  full: boolean;
  freeBytes: number;
  neededBytes: number;
}

/** Unlinks run this many at a time on libuv's pool (it has four threads; logins need them too). */
const UNLINK_CONCURRENCY = 4;

/**
 * Keeps recordings within their limits: age, bytes per storage path, and free disk space (less than
 * `minFreeHours` of recording room left purges the oldest segments). Segments under an evidence lock
 * are never touched by any of the three, nor are those a playback in progress holds
 * (`playback-holds.ts`) while it holds them: each limit takes the oldest footage nobody holds
 * instead. All file work is async and a pass deletes at most `maxDeletesPerPass` segments, so a
 * purge of a week of footage is many short passes a second apart, never one long stall of the event
 * loop. A segment's row goes before its file (the claim that no lock or hold covers it,
 * `SegmentIndex.claimUnprotected`), so a crash in between leaves a file without a row, which the
 * start-up reconcile indexes again (and the next pass deletes).
 */
export class RetentionMaintainer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly freeBytes: (path: string) => Promise<number>;
  private readonly room = new Map<string, StorageRoom>();

  constructor(private readonly o: RetentionOptions) {
    this.now = o.now ?? Date.now;
    this.freeBytes = o.freeBytes ?? statfsFree;
  }

  start(intervalMs: number): void {
    this.stopped = false;
    const tick = (delay: number) => {
      this.timer = setTimeout(() => {
        this.running = this.runOnce().then(
          (r) => (this.stopped ? undefined : tick(r.more ? 1000 : intervalMs)),
          (err: unknown) => {
            // A failed pass (disk error) is retried on the next tick; recording goes on meanwhile.
            this.o.log.error({ err }, 'retention: pass failed');
            if (!this.stopped) tick(intervalMs);
          },
        );
      }, delay);
      this.timer.unref();
    };
    tick(0);
  }

  /** Each storage path's room at the last pass (only paths that recorded in the last hour). */
  storage(): StorageRoom[] {
    return [...this.room.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  async runOnce(): Promise<RetentionReport> {
    const r: RetentionReport = { byAge: 0, byBytes: 0, byDisk: 0, bytesFreed: 0, exports: 0, more: false };
    let budget = this.o.maxDeletesPerPass ?? 500;
    const now = this.now();
    const cutoff = now - this.o.retentionDays * 86_400_000;
    for (const sp of this.o.paths) {
      // By age.
      const old = await this.o.index.oldestUnprotected(sp.path, budget + 1, cutoff);
      const aged = old.slice(0, budget);
      const gone = await this.remove(aged);
      r.bytesFreed += gone.bytes;
      r.byAge += gone.segments;
      budget -= aged.length;
      if (old.length > aged.length) r.more = true;
      // By bytes of this storage path.
      if (sp.maxBytes !== undefined && budget > 0) {
        const over = (await this.o.index.totalBytes(sp.path)) - sp.maxBytes;
        if (over > 0) {
          const batch = this.upTo(await this.o.index.oldestUnprotected(sp.path, budget), over);
          const gone = await this.remove(batch.segs);
          r.bytesFreed += gone.bytes;
          r.byBytes += gone.segments;
          budget -= batch.segs.length;
          if (!batch.enough && batch.segs.length > 0) r.more = true;
        }
      }
      // By free disk space: room for minFreeHours at the recording rate of the last hour.
      if (budget > 0) {
        const need =
          (await this.o.index.bytesPerSecond(sp.path, now - 3_600_000)) * 3600 * this.o.minFreeHours;
        const free = need > 0 ? await this.freeBytes(sp.path).catch(() => Number.POSITIVE_INFINITY) : 0;
        const short = need > 0 && free < need;
        const batch = short
          ? this.upTo(await this.o.index.oldestUnprotected(sp.path, budget), need - free)
          : undefined;
        if (need > 0) {
          const full = batch !== undefined && batch.segs.length === 0;
          this.room.set(sp.path, { path: sp.path, short, full, freeBytes: free, neededBytes: need });
        } else this.room.delete(sp.path); // nothing recorded there in the last hour: nothing to judge
        if (batch) {
          if (batch.segs.length === 0)
            this.o.log.error(
              { path: sp.path, free, need },
              'retention: disk full and every segment is locked or held by a playback',
            );
          else
            this.o.log.warn(
              { path: sp.path, free, need },
              'retention: disk almost full, purging oldest segments',
            );
          const gone = await this.remove(batch.segs);
          r.bytesFreed += gone.bytes;
          r.byDisk += gone.segments;
          budget -= batch.segs.length;
          if (!batch.enough && batch.segs.length > 0) r.more = true;
        }
      }
    }
    if (budget <= 0) r.more = true;
    const pruned = await this.o.index.pruneGaps(cutoff);
    // Holds whose node stopped renewing them (holds lapse by the real clock, as they are renewed).
    await this.o.index.pruneHolds(Date.now());
    if (this.o.exports)
      r.exports = await this.o.exports.expire(now - this.o.exports.retentionDays * 86_400_000);
    if (r.byAge + r.byBytes + r.byDisk + r.exports + pruned > 0)
      this.o.log.info({ ...r, gapsPruned: pruned }, 'retention: pass');
    return r;
  }

  /** The oldest of `segs` whose bytes add up to `bytes`, and whether they do. */
  private upTo(segs: Segment[], bytes: number): { segs: Segment[]; enough: boolean } {
    let sum = 0;
    const out: Segment[] = [];
    for (const s of segs) {
      if (sum >= bytes) break;
      out.push(s);
      sum += s.bytes;
    }
    return { segs: out, enough: sum >= bytes };
  }

  /**
   * Takes those of `segs` still under no evidence lock out of the index (one transaction; a lock
   * placed since they were read keeps its own), then deletes their files. Returns what went.
   */
  private async remove(segs: Segment[]): Promise<{ segments: number; bytes: number }> {
    const claimed = await this.o.index.claimUnprotected(segs);
    let bytes = 0;
    let segments = 0;
    for (let i = 0; i < claimed.length; i += UNLINK_CONCURRENCY) {
      await Promise.all(
        claimed.slice(i, i + UNLINK_CONCURRENCY).map(async (s) => {
          try {
            await unlink(resolveInside(s.storage, s.path));
            bytes += s.bytes;
            segments++;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
              segments++;
              return;
            }
            // Anything else (EACCES, EIO): indexed again, so the next pass retries it.
            this.o.log.warn({ err, path: s.path }, 'retention: cannot delete a segment; retrying later');
            await this.o.index
              .addSegment(s)
              .catch((e: unknown) =>
                this.o.log.error(
                  { err: e, path: s.path },
                  'retention: a segment it could not delete is not indexed again until the next start',
                ),
              );
          }
        }),
      );
    }
    return { segments, bytes };
  }

  /** Indexes the segments a crash left unindexed (the newest of each camera); run before recording. */
  recoverRecent(cameras: string[]): Promise<number> {
    return recoverRecent({ ...this.o, cameras });
  }

  /** Makes the whole index and the files agree (slow, yielding: run in the background). */
  reconcile(): Promise<ReconcileReport> {
    return reconcileStorage({ ...this.o, stopped: () => this.stopped });
  }
}
