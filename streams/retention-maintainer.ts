import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { Segment, SegmentIndex } from './segment-index.js';
import { resolveInside } from './segment-paths.js';

const run = promisify(execFile);

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
  freeBytes?: (path: string) => number;
  now?: () => number;
  /** The camera id a (sanitised) directory name belongs to, for files recovered at start. */
  cameraOfDir?: (dir: string) => string | undefined;
  /** Export retention: deletes exports created before the cutoff (file and row); returns how many. */
  exports?: { retentionDays: number; expire(cutoffMs: number): number };
}

export interface RetentionReport {
  byAge: number;
  byBytes: number;
  byDisk: number;
  bytesFreed: number;
  /** Evidence exports deleted for age. */
  exports: number;
}

export interface ReconcileReport {
  /** Rows whose file was gone: removed. */
  rowsRemoved: number;
  /** Files nobody indexed that still play (a segment open at a crash): indexed. */
  filesIndexed: number;
  /** Files nobody indexed that do not play: deleted. */
  filesDeleted: number;
}

const SEGMENT_FILE = /^(\d{10,16})\.mp4$/;

function statfsFree(path: string): number {
  const s = statfsSync(path);
  return Number(s.bavail) * Number(s.bsize);
}

/**
 * Keeps recordings within their limits: age, bytes per storage path, and free disk space (less than
 * `minFreeHours` of recording room left purges the oldest segments). Segments under an evidence lock
 * are never touched by any of the three. A file is deleted before its row, so a crash in between
 * leaves a row without a file, which `reconcile` removes at the next start.
 */
export class RetentionMaintainer {
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly freeBytes: (path: string) => number;

  constructor(private readonly o: RetentionOptions) {
    this.now = o.now ?? Date.now;
    this.freeBytes = o.freeBytes ?? statfsFree;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      try {
        this.runOnce();
      } catch (err) {
        // A failed pass (disk error) is retried on the next tick; recording goes on meanwhile.
        this.o.log.error({ err }, 'retention: pass failed');
      }
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  runOnce(): RetentionReport {
    const r: RetentionReport = { byAge: 0, byBytes: 0, byDisk: 0, bytesFreed: 0, exports: 0 };
    const now = this.now();
    const cutoff = now - this.o.retentionDays * 86_400_000;
    for (const sp of this.o.paths) {
      // By age.
      for (;;) {
        const batch = this.o.index.oldestUnprotected(sp.path, 200, cutoff);
        for (const s of batch) r.bytesFreed += this.remove(s);
        r.byAge += batch.length;
        if (batch.length < 200) break;
      }
      // By bytes of this storage path.
      if (sp.maxBytes !== undefined) {
        let total = this.o.index.totalBytes(sp.path);
        while (total > sp.maxBytes) {
          const batch = this.o.index.oldestUnprotected(sp.path, 50);
          if (batch.length === 0) break;
          for (const s of batch) {
            if (total <= sp.maxBytes) break;
            const freed = this.remove(s);
            total -= s.bytes;
            r.bytesFreed += freed;
            r.byBytes++;
          }
        }
      }
      // By free disk space: room for minFreeHours at the recording rate of the last hour.
      if (existsSync(sp.path)) {
        const rate = this.o.index.bytesPerSecond(sp.path, now - 3_600_000);
        const need = rate * 3600 * this.o.minFreeHours;
        let free = this.freeBytes(sp.path);
        if (need > 0 && free < need) {
          this.o.log.warn(
            { path: sp.path, free, need },
            'retention: disk almost full, purging oldest segments',
          );
          while (free < need) {
            const batch = this.o.index.oldestUnprotected(sp.path, 50);
            if (batch.length === 0) {
              this.o.log.error(
                { path: sp.path, free, need },
                'retention: disk full and every segment is locked',
              );
              break;
            }
            for (const s of batch) {
              if (free >= need) break;
              const freed = this.remove(s);
              free += freed;
              r.bytesFreed += freed;
              r.byDisk++;
            }
          }
        }
      }
    }
    const pruned = this.o.index.pruneGaps(cutoff);
    if (this.o.exports) r.exports = this.o.exports.expire(now - this.o.exports.retentionDays * 86_400_000);
    if (r.byAge + r.byBytes + r.byDisk + r.exports + pruned > 0)
      this.o.log.info({ ...r, gapsPruned: pruned }, 'retention: pass');
    return r;
  }

  /** Deletes a segment's file, then its row; returns the bytes freed. */
  private remove(s: Segment): number {
    const file = resolveInside(s.storage, s.path);
    let size = 0;
    try {
      size = statSync(file).size;
      unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.o.index.removeSegment(s.id);
    return size;
  }

  /** Makes the index and the files agree (at start, before recording): see ReconcileReport. */
  async reconcile(): Promise<ReconcileReport> {
    const rep: ReconcileReport = { rowsRemoved: 0, filesIndexed: 0, filesDeleted: 0 };
    for (const sp of this.o.paths) {
      const indexed = new Set<string>();
      for (const s of this.o.index.allSegments(sp.path)) {
        if (existsSync(resolveInside(sp.path, s.path))) indexed.add(s.path);
        else {
          this.o.index.removeSegment(s.id);
          rep.rowsRemoved++;
        }
      }
      if (!existsSync(sp.path)) continue;
      for (const camera of readdirSync(sp.path)) {
        const camDir = join(sp.path, camera);
        if (!statSync(camDir).isDirectory()) continue;
        for (const day of readdirSync(camDir)) {
          const dayDir = join(camDir, day);
          if (!statSync(dayDir).isDirectory()) continue;
          for (const name of readdirSync(dayDir)) {
            const rel = `${camera}/${day}/${name}`;
            if (indexed.has(rel)) continue;
            const m = SEGMENT_FILE.exec(name);
            if (!m) continue;
            if (await this.recover(sp.path, camera, rel, Number(m[1]))) rep.filesIndexed++;
            else {
              unlinkSync(join(dayDir, name));
              rep.filesDeleted++;
            }
          }
          if (readdirSync(dayDir).length === 0) rmdirSync(dayDir);
        }
      }
    }
    if (rep.rowsRemoved + rep.filesIndexed + rep.filesDeleted > 0)
      this.o.log.warn({ ...rep }, 'retention: index and files disagreed at start; fixed');
    else this.o.log.info({}, 'retention: index and files agree');
    return rep;
  }

  /** Indexes a segment file left open by a crash when ffprobe can read it. */
  private async recover(storage: string, dirName: string, rel: string, startMs: number): Promise<boolean> {
    const file = resolveInside(storage, rel);
    try {
      const { stdout } = await run('ffprobe', [
        ...['-v', 'error', '-select_streams', 'v:0', '-count_packets'],
        ...['-show_entries', 'stream=nb_read_packets:format=duration,start_time', '-of', 'json', file],
      ]);
      const j = JSON.parse(stdout) as {
        streams?: { nb_read_packets?: string }[];
        format?: { duration?: string; start_time?: string };
      };
      const packets = Number(j.streams?.[0]?.nb_read_packets ?? 0);
      // A segment's timestamps start at its first fragment's decode time; mov reports the end as duration.
      const duration = Number(j.format?.duration ?? 0) - Number(j.format?.start_time ?? 0);
      if (packets === 0 || !(duration > 0)) return false;
      // The camera id of a sanitised directory is not recoverable; the directory name stands in.
      const camera = this.cameraOf(dirName);
      this.o.index.addSegment({
        camera,
        startMs,
        endMs: startMs + Math.round(duration * 1000),
        bytes: statSync(file).size,
        storage,
        path: rel,
        keyframe: true,
        codec: this.o.index.lastSegment(camera)?.codec ?? 'video/mp4',
      });
      return true;
    } catch (err) {
      this.o.log.warn({ err, file }, 'retention: unreadable segment file, deleting');
      return false;
    }
  }

  private cameraOf(dirName: string): string {
    return this.o.cameraOfDir?.(dirName) ?? dirName;
  }
}
