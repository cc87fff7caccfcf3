import { execFile } from 'node:child_process';
import { readdir, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { nextTurn } from '../src/util/next-turn.js';
import type { Segment, SegmentIndex } from './segment-index.js';
import { resolveInside, sanitizeName, utcDay } from './segment-paths.js';

const run = promisify(execFile);
const SEGMENT_FILE = /^(\d{10,16})\.mp4$/;
const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;

export interface ReconcileReport {
  /** Rows whose file was gone: removed. */
  rowsRemoved: number;
  /** Files nobody indexed that still play (a segment open at a crash): indexed. */
  filesIndexed: number;
  /** Files nobody indexed that do not play: deleted. */
  filesDeleted: number;
}

export interface ReconcileDeps {
  index: SegmentIndex;
  paths: { path: string }[];
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** The camera id a (sanitised) directory name belongs to. */
  cameraOfDir?: ((dir: string) => string | undefined) | undefined;
  /** The walk gives up between pages once this says so (service stopping). */
  stopped?: () => boolean;
}

/** What ffprobe reads from a segment file: frames, keyframe offsets, and its media start and end. */
export interface ProbedSegment {
  frames: number;
  keyframes: number[];
  startS: number;
  endS: number;
}

/** Reads every video packet's time and flags (no decoding): a segment's real extent and keyframes. */
export async function probeSegment(file: string): Promise<ProbedSegment | undefined> {
  const { stdout } = await run(
    'ffprobe',
    [
      ...['-v', 'error', '-select_streams', 'v:0'],
      ...['-show_entries', 'packet=pts_time,duration_time,flags', '-of', 'csv=p=0', file],
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const packets = stdout
    .split('\n')
    .map((l) => l.split(','))
    .filter((p) => p.length >= 3 && Number.isFinite(Number(p[0])))
    .map((p) => ({ pts: Number(p[0]), dur: Number(p[1]) || 0, key: (p[2] ?? '').includes('K') }));
  if (packets.length === 0) return undefined;
  const startS = Math.min(...packets.map((p) => p.pts));
  const endS = Math.max(...packets.map((p) => p.pts + p.dur));
  return {
    frames: packets.length,
    keyframes: packets.filter((p) => p.key).map((p) => Math.round((p.pts - startS) * 1000)),
    startS,
    endS,
  };
}

/** Indexes a segment file nobody indexed when ffprobe can read it; false when it does not play. */
async function recover(d: ReconcileDeps, storage: string, rel: string, startMs: number): Promise<boolean> {
  const file = resolveInside(storage, rel);
  try {
    const p = await probeSegment(file);
    if (!p || !(p.endS > p.startS)) return false;
    const dirName = rel.split('/')[0] ?? '';
    // The camera id of a sanitised directory is not recoverable; the directory name stands in.
    const camera = d.cameraOfDir?.(dirName) ?? dirName;
    await d.index.addSegment({
      camera,
      startMs,
      endMs: startMs + Math.round((p.endS - p.startS) * 1000),
      bytes: (await stat(file)).size,
      storage,
      path: rel,
      keyframe: true,
      codec: (await d.index.lastSegment(camera))?.codec ?? 'video/mp4',
      // Files written since issue 14 start at zero; older ones carry their place in the upstream.
      zeroBased: p.startS < 0.001,
      frames: p.frames,
      keyframes: p.keyframes,
    });
    return true;
  } catch (err) {
    d.log.warn({ err, file }, 'retention: unreadable segment file');
    return false;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Indexes or deletes the unindexed segment files of one `<camera>/<day>` directory. */
async function sweepDir(
  d: ReconcileDeps,
  storage: string,
  dir: string,
  rep: ReconcileReport,
  after = Number.NEGATIVE_INFINITY,
): Promise<void> {
  const names = await list(join(storage, dir));
  const indexed = await d.index.pathsIn(storage, dir);
  for (const name of names) {
    const m = SEGMENT_FILE.exec(name);
    const rel = `${dir}/${name}`;
    if (!m || indexed.has(rel) || Number(m[1]) <= after) continue;
    if (await recover(d, storage, rel, Number(m[1]))) rep.filesIndexed++;
    else {
      await unlink(join(storage, rel));
      rep.filesDeleted++;
    }
  }
}

/**
 * The segments a crash (or SIGKILL) left unindexed are the newest of each camera: files in the day of
 * its last indexed segment and after, starting later than it. Indexing them before recording starts
 * keeps the first gap after a restart exact.
 */
export async function recoverRecent(d: ReconcileDeps & { cameras: string[] }): Promise<number> {
  const rep: ReconcileReport = { rowsRemoved: 0, filesIndexed: 0, filesDeleted: 0 };
  for (const sp of d.paths) {
    for (const camera of d.cameras) {
      const last = await d.index.lastSegment(camera);
      const camDir = sanitizeName(camera);
      const fromDay = last ? utcDay(last.startMs) : '';
      for (const day of (await list(join(sp.path, camDir))).filter((n) => DAY_DIR.test(n) && n >= fromDay))
        await sweepDir(d, sp.path, `${camDir}/${day}`, rep, last?.startMs);
    }
  }
  if (rep.filesIndexed + rep.filesDeleted > 0)
    d.log.warn({ ...rep }, 'retention: segments left by an unclean stop were indexed');
  return rep.filesIndexed;
}

/**
 * Makes the index and the files agree: rows whose file is gone are removed (read a page at a time,
 * against directory listings), files nobody indexed are indexed when they play and deleted when they
 * do not, empty day directories go. Async throughout and yielding between pages and directories.
 */
export async function reconcileStorage(d: ReconcileDeps): Promise<ReconcileReport> {
  const rep: ReconcileReport = { rowsRemoved: 0, filesIndexed: 0, filesDeleted: 0 };
  for (const sp of d.paths) {
    const listings = new Map<string, Set<string>>();
    const listing = async (dir: string) => {
      let names = listings.get(dir);
      if (!names) {
        names = new Set(await list(join(sp.path, dir)));
        if (listings.size >= 256) listings.delete(listings.keys().next().value as string);
        listings.set(dir, names);
      }
      return names;
    };
    for (let after = 0; !d.stopped?.(); ) {
      const page = await d.index.segmentPage(sp.path, after, 2000);
      if (page.length === 0) break;
      after = page[page.length - 1]?.id ?? after;
      const gone: Segment[] = [];
      for (const s of page) {
        const slash = s.path.lastIndexOf('/');
        if (!(await listing(s.path.slice(0, slash))).has(s.path.slice(slash + 1))) gone.push(s);
      }
      await d.index.removeSegments(gone);
      rep.rowsRemoved += gone.length;
      await nextTurn();
    }
    for (const camDir of await list(sp.path)) {
      if (!(await stat(join(sp.path, camDir))).isDirectory()) continue;
      for (const day of (await list(join(sp.path, camDir))).filter((n) => DAY_DIR.test(n))) {
        if (d.stopped?.()) return rep;
        const dir = `${camDir}/${day}`;
        await sweepDir(d, sp.path, dir, rep);
        if ((await list(join(sp.path, dir))).length === 0)
          await rmdir(join(sp.path, dir)).catch(() => undefined);
        await nextTurn();
      }
    }
  }
  if (rep.rowsRemoved + rep.filesIndexed + rep.filesDeleted > 0)
    d.log.warn({ ...rep }, 'retention: index and files disagreed; fixed');
  else d.log.info({}, 'retention: index and files agree');
  return rep;
}
