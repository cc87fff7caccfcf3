import { randomUUID } from 'node:crypto';
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { DB } from '../src/store/db-types.js';
import { relaxedTransaction } from '../src/store/relaxed.js';
import { takeTurn } from '../src/store/turns.js';
import { type KeptFootage, keptFootage, notePurged } from './purged-footage.js';
import type { RecordingSegmentsTable } from './segment-tables.js';

/** One closed segment: a self-contained fragmented MP4 starting at a keyframe. */
export interface Segment {
  id: number;
  camera: string;
  startMs: number;
  endMs: number;
  bytes: number;
  /** Storage path root the file lives under. */
  storage: string;
  /** Path relative to `storage`: `<camera>/<YYYY-MM-DD>/<startMs>.mp4`. */
  path: string;
  keyframe: boolean;
  codec: string;
  /** The file's timestamps start at zero (false: recorded before issue 14, rebased when read). */
  zeroBased: boolean;
  /** Frames in the file, when known. */
  frames: number | null;
  /** Keyframe offsets in ms from `startMs`. */
  keyframes: number[];
}

export type NewSegment = Omit<Segment, 'id' | 'zeroBased' | 'frames' | 'keyframes'> &
  Partial<Pick<Segment, 'zeroBased' | 'frames' | 'keyframes'>>;

export interface Gap {
  camera: string;
  startMs: number;
  endMs: number;
  reason: string;
}

/** A stretch of contiguous recording of one camera. */
export interface Run {
  startMs: number;
  endMs: number;
}

export interface EvidenceLock {
  id: string;
  incidentId: string | null;
  /** `null` locks every camera over the range. */
  camera: string | null;
  startMs: number;
  endMs: number;
  reason: string;
  createdBy: string;
  createdAt: string;
}

/** Two segments closer than this are one run; a wider hole is a gap (a reconnect takes longer). */
export const CONTIGUOUS_MS = 250;

type SegmentRow = Selectable<RecordingSegmentsTable>;

// Integers come back as numbers on both databases (BIGINT through the store's pg type parser);
// `Number` keeps a driver that returns strings from turning comparisons into string ones.
const toSegment = (r: SegmentRow): Segment => ({
  id: Number(r.id),
  camera: r.camera,
  startMs: Number(r.start_ms),
  endMs: Number(r.end_ms),
  bytes: Number(r.bytes),
  storage: r.storage,
  path: r.path,
  keyframe: Number(r.keyframe) === 1,
  codec: r.codec,
  zeroBased: Number(r.zero_based) === 1,
  frames: r.frames === null ? null : Number(r.frames),
  keyframes: r.keyframes ? r.keyframes.split(',').map(Number) : [0],
});

const toLock = (r: Selectable<DB['evidence_locks']>): EvidenceLock => ({
  id: r.id,
  incidentId: r.incident_id,
  camera: r.camera,
  startMs: Number(r.start_ms),
  endMs: Number(r.end_ms),
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

/**
 * A segment is protected while any evidence lock of its camera (or of all cameras) overlaps it, or a
 * playback hold of its camera that has not lapsed by `nowMs` (a stream in progress still reading it).
 */
const unprotectedAt = (nowMs: number) => (eb: ExpressionBuilder<DB & { s: DB['recording_segments'] }, 's'>) =>
  eb.and([
    eb.not(
      eb.exists(
        eb
          .selectFrom('evidence_locks as l')
          .select(eb.lit(1).as('one'))
          .where((w) => w.or([w('l.camera', 'is', null), w('l.camera', '=', w.ref('s.camera'))]))
          .whereRef('l.start_ms', '<', 's.end_ms')
          .whereRef('l.end_ms', '>', 's.start_ms'),
      ),
    ),
    eb.not(
      eb.exists(
        eb
          .selectFrom('playback_holds as h')
          .select(eb.lit(1).as('one'))
          .whereRef('h.camera', '=', 's.camera')
          .whereRef('h.start_ms', '<', 's.end_ms')
          .whereRef('h.end_ms', '>', 's.start_ms')
          .where('h.expires_ms', '>', nowMs),
      ),
    ),
  ]);

/** A LIKE pattern matching what starts with `s` (backslash is PostgreSQL's default LIKE escape). */
const likePrefix = (s: string) => `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The recording index (migrations 040-042): segments, the runs they form, gaps, evidence locks.
 * Written once with Kysely for SQLite and PostgreSQL (issue 16). Transactions hold only these
 * statements, never file or network work.
 */
export class SegmentIndex {
  constructor(
    readonly k: Kysely<DB>,
    /** The database under `k`: the one query whose fast form differs (`pathsIn`) picks by it. */
    readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
  ) {}

  /** Indexes a closed segment and extends (or starts, or joins) its camera's run, in one transaction. */
  async addSegment(s: NewSegment): Promise<Segment> {
    const row: Segment = {
      ...s,
      startMs: Math.round(s.startMs),
      endMs: Math.round(s.endMs),
      id: 0,
      zeroBased: s.zeroBased ?? false,
      frames: s.frames ?? null,
      keyframes: s.keyframes ?? [0],
    };
    // Its commit does not wait for the disk (src/store/relaxed.ts): on the alarm process's thread,
    // 32 cameras closing 4-second segments were eight fsyncs a second for the panics to queue behind.
    // The segment's file was fdatasync'ed by the writer thread first; a row a power cut takes back is
    // indexed again from that file by the start-up reconcile (retention-reconcile.ts).
    await relaxedTransaction(this.k, async (tx) => {
      await this.lockRuns(tx, [row.camera]);
      const { id } = await tx
        .insertInto('recording_segments')
        .values({
          camera: row.camera,
          start_ms: row.startMs,
          end_ms: row.endMs,
          bytes: row.bytes,
          storage: row.storage,
          path: row.path,
          keyframe: row.keyframe ? 1 : 0,
          codec: row.codec,
          created_at: new Date().toISOString(),
          zero_based: row.zeroBased ? 1 : 0,
          frames: row.frames,
          keyframes: row.keyframes.join(','),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      row.id = Number(id);
      await this.joinRun(tx, row.camera, row.startMs, row.endMs);
    });
    return row;
  }

  /**
   * Runs are read, then rewritten: on PostgreSQL (a pool, READ COMMITTED) the recorder and the
   * reconcile indexing the same camera at once could both find no run and start two. A transaction
   * lock per camera, taken in a fixed order, serialises them there; SQLite has one writer anyway.
   */
  private async lockRuns(tx: Kysely<DB>, cameras: readonly string[]): Promise<void> {
    if (this.dialect !== 'postgres') return;
    for (const camera of [...new Set(cameras)].sort()) await takeTurn(tx, this.dialect, 'runs', camera);
  }

  /** Merges `[start, end)` into the runs it touches (usually: extends the camera's last run). */
  private async joinRun(tx: Kysely<DB>, camera: string, start: number, end: number): Promise<void> {
    const touching = await tx
      .selectFrom('recording_runs')
      .select(['id', 'start_ms', 'end_ms'])
      .where('camera', '=', camera)
      .where('end_ms', '>=', start - CONTIGUOUS_MS)
      .where('start_ms', '<=', end + CONTIGUOUS_MS)
      .orderBy('start_ms')
      .execute();
    const first = touching[0];
    if (!first) {
      await tx.insertInto('recording_runs').values({ camera, start_ms: start, end_ms: end }).execute();
      return;
    }
    const lo = Math.min(start, ...touching.map((r) => Number(r.start_ms)));
    const hi = Math.max(end, ...touching.map((r) => Number(r.end_ms)));
    await tx
      .updateTable('recording_runs')
      .set({ start_ms: lo, end_ms: hi })
      .where('id', '=', first.id)
      .execute();
    const rest = touching.slice(1).map((r) => r.id);
    if (rest.length > 0) await tx.deleteFrom('recording_runs').where('id', 'in', rest).execute();
  }

  /** Takes a removed segment's range out of its run: the run shrinks, splits or goes. */
  private async leaveRun(tx: Kysely<DB>, s: Pick<Segment, 'camera' | 'startMs' | 'endMs'>): Promise<void> {
    const run = await tx
      .selectFrom('recording_runs')
      .select(['id', 'start_ms', 'end_ms'])
      .where('camera', '=', s.camera)
      .where('start_ms', '<=', s.startMs)
      .where('end_ms', '>=', s.endMs)
      .limit(1)
      .executeTakeFirst();
    if (!run) return;
    const before = await tx
      .selectFrom('recording_segments')
      .select('end_ms')
      .where('camera', '=', s.camera)
      .where('start_ms', '<', s.startMs)
      .where('start_ms', '>=', run.start_ms)
      .orderBy('start_ms', 'desc')
      .limit(1)
      .executeTakeFirst();
    const after = await tx
      .selectFrom('recording_segments')
      .select('start_ms')
      .where('camera', '=', s.camera)
      .where('start_ms', '>=', s.endMs)
      .where('start_ms', '<', run.end_ms)
      .orderBy('start_ms')
      .limit(1)
      .executeTakeFirst();
    const setRun = (v: { start_ms?: number; end_ms?: number }) =>
      tx.updateTable('recording_runs').set(v).where('id', '=', run.id).execute();
    if (before && after) {
      await setRun({ end_ms: before.end_ms });
      await tx
        .insertInto('recording_runs')
        .values({ camera: s.camera, start_ms: after.start_ms, end_ms: run.end_ms })
        .execute();
    } else if (before) await setRun({ end_ms: before.end_ms });
    else if (after) await setRun({ start_ms: after.start_ms });
    else await tx.deleteFrom('recording_runs').where('id', '=', run.id).execute();
  }

  /** Segments of a camera overlapping `[fromMs, toMs)`, oldest first. */
  async segments(camera: string, fromMs: number, toMs: number, limit = 1_000_000): Promise<Segment[]> {
    const rows = await this.k
      .selectFrom('recording_segments')
      .selectAll()
      .where('camera', '=', camera)
      .where('end_ms', '>', fromMs)
      .where('start_ms', '<', toMs)
      .orderBy('start_ms')
      .limit(limit)
      .execute();
    return rows.map(toSegment);
  }

  async segmentById(id: number): Promise<Segment | undefined> {
    const r = await this.k
      .selectFrom('recording_segments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toSegment(r) : undefined;
  }

  async lastSegment(camera: string): Promise<Segment | undefined> {
    const r = await this.k
      .selectFrom('recording_segments')
      .selectAll()
      .where('camera', '=', camera)
      .orderBy('end_ms', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? toSegment(r) : undefined;
  }

  /** Segments of a storage path starting in `[fromMs, toMs)` (reconcile walks a day at a time). */
  async segmentsStarting(storage: string, fromMs: number, toMs: number): Promise<Segment[]> {
    const rows = await this.k
      .selectFrom('recording_segments')
      .selectAll()
      .where('storage', '=', storage)
      .where('start_ms', '>=', fromMs)
      .where('start_ms', '<', toMs)
      .execute();
    return rows.map(toSegment);
  }

  /** A page of a storage path's segments after row `afterId`, by id (the reconcile walks them all). */
  async segmentPage(storage: string, afterId: number, limit: number): Promise<Segment[]> {
    const rows = await this.k
      .selectFrom('recording_segments')
      .selectAll()
      .where('storage', '=', storage)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toSegment);
  }

  /** Relative paths of the indexed segments in one directory (`<camera>/<day>/`) of a storage path. */
  async pathsIn(storage: string, dir: string): Promise<Set<string>> {
    let q = this.k.selectFrom('recording_segments').select('path').where('storage', '=', storage);
    // SQLite: a range on the unique path index (every path starting with `dir/` sorts between `dir/`
    // and `dir0` in its byte order). PostgreSQL compares text by the database's locale, where `/` may
    // sort anywhere: a LIKE prefix (case-sensitive there) says the same whatever the collation.
    q =
      this.dialect === 'sqlite'
        ? q.where('path', '>=', `${dir}/`).where('path', '<', `${dir}0`)
        : q.where((eb) => eb('path', 'like', likePrefix(`${dir}/`)));
    const rows = await q.execute();
    return new Set(rows.map((r) => r.path));
  }

  /**
   * Takes the segments of `segs` that no evidence lock or playback hold covers now out of the index
   * (rows and runs), in one transaction under the footage's turn, and returns them: their files are
   * the caller's to delete. A lock or hold placed meanwhile (an investigator's export or playback, an
   * alarm's clip) either commits first and keeps its segments out of this, or second and finds them
   * gone; before, retention read the unlocked segments, then deleted the files of any a lock had
   * covered since. The same transaction widens each camera's purged stretch (`notePurged`): a player
   * then says "purged" of those holes, not "not recorded".
   */
  async claimUnprotected(segs: readonly Segment[]): Promise<Segment[]> {
    if (segs.length === 0) return [];
    return this.k.transaction().execute(async (tx) => {
      await takeTurn(tx, this.dialect, 'footage');
      await this.lockRuns(
        tx,
        segs.map((s) => s.camera),
      );
      const claimed: Segment[] = [];
      for (const s of segs) {
        const r = await tx
          .deleteFrom('recording_segments as s')
          .where('s.id', '=', s.id)
          .where(unprotectedAt(Date.now()))
          .executeTakeFirst();
        if (Number(r.numDeletedRows) === 0) continue;
        await this.leaveRun(tx, s);
        claimed.push(s);
      }
      await notePurged(tx, claimed);
      return claimed;
    });
  }

  /** A camera's oldest kept footage and the stretch retention purged of it (`purged-footage.ts`). */
  kept(camera: string): Promise<KeptFootage> {
    return keptFootage(this.k, camera);
  }

  /** Removes segment rows (their files are gone) and their ranges from the runs, in one transaction. */
  async removeSegments(segs: readonly Segment[]): Promise<void> {
    if (segs.length === 0) return;
    await this.k.transaction().execute(async (tx) => {
      await this.lockRuns(
        tx,
        segs.map((s) => s.camera),
      );
      for (const s of segs) {
        await tx.deleteFrom('recording_segments').where('id', '=', s.id).execute();
        await this.leaveRun(tx, s);
      }
    });
  }

  async totalBytes(storage: string): Promise<number> {
    const r = await this.k
      .selectFrom('recording_segments')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('bytes'), eb.lit(0)).as('n'))
      .where('storage', '=', storage)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Recording rate of a storage path over its segments since `sinceMs`, in bytes per second. */
  async bytesPerSecond(storage: string, sinceMs: number): Promise<number> {
    const r = await this.k
      .selectFrom('recording_segments')
      .select((eb) => [
        eb.fn.coalesce(eb.fn.sum<number>('bytes'), eb.lit(0)).as('bytes'),
        eb.fn.coalesce(eb.fn.sum<number>(eb('end_ms', '-', eb.ref('start_ms'))), eb.lit(0)).as('ms'),
        eb.fn.count<number>('camera').distinct().as('cams'),
      ])
      .where('storage', '=', storage)
      .where('start_ms', '>=', sinceMs)
      .executeTakeFirstOrThrow();
    const ms = Number(r.ms);
    if (ms <= 0) return 0;
    // Bytes per second of one camera times the cameras recording in parallel.
    return (Number(r.bytes) / (ms / 1000)) * Number(r.cams);
  }

  /** Oldest segments of a storage path that no evidence lock or playback hold covers. */
  async oldestUnprotected(
    storage: string,
    limit: number,
    beforeMs = Number.MAX_SAFE_INTEGER,
  ): Promise<Segment[]> {
    const rows = await this.k
      .selectFrom('recording_segments as s')
      .selectAll('s')
      .where('s.storage', '=', storage)
      .where('s.end_ms', '<=', beforeMs)
      .where(unprotectedAt(Date.now()))
      .orderBy('s.start_ms')
      .limit(limit)
      .execute();
    return rows.map(toSegment);
  }

  async isProtected(seg: Pick<Segment, 'camera' | 'startMs' | 'endMs'>): Promise<boolean> {
    const r = await this.k
      .selectFrom('evidence_locks as l')
      .select('l.id')
      .where((eb) => eb.or([eb('l.camera', 'is', null), eb('l.camera', '=', seg.camera)]))
      .where('l.start_ms', '<', seg.endMs)
      .where('l.end_ms', '>', seg.startMs)
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** Recorded runs of a camera overlapping `[fromMs, toMs)`. */
  async runs(camera: string, fromMs: number, toMs: number, limit = 10_000): Promise<Run[]> {
    const rows = await this.k
      .selectFrom('recording_runs')
      .select(['start_ms', 'end_ms'])
      .where('camera', '=', camera)
      .where('end_ms', '>', fromMs)
      .where('start_ms', '<', toMs)
      .orderBy('start_ms')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ startMs: Number(r.start_ms), endMs: Number(r.end_ms) }));
  }

  async addGap(g: Gap): Promise<void> {
    await this.k
      .insertInto('recording_gaps')
      .values({
        camera: g.camera,
        start_ms: Math.round(g.startMs),
        end_ms: Math.round(g.endMs),
        reason: g.reason,
      })
      .execute();
  }

  async gaps(camera: string, fromMs: number, toMs: number, limit = 10_000): Promise<Gap[]> {
    const rows = await this.k
      .selectFrom('recording_gaps')
      .select(['camera', 'start_ms', 'end_ms', 'reason'])
      .where('camera', '=', camera)
      .where('end_ms', '>', fromMs)
      .where('start_ms', '<', toMs)
      .orderBy('start_ms')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      camera: r.camera,
      startMs: Number(r.start_ms),
      endMs: Number(r.end_ms),
      reason: r.reason,
    }));
  }

  /** Gaps older than `beforeMs` go with the footage around them. */
  async pruneGaps(beforeMs: number): Promise<number> {
    const r = await this.k.deleteFrom('recording_gaps').where('end_ms', '<', beforeMs).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Playback holds that lapsed before `nowMs` (their node stopped renewing them: it died). */
  async pruneHolds(nowMs: number): Promise<number> {
    const r = await this.k.deleteFrom('playback_holds').where('expires_ms', '<=', nowMs).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Places a lock under the footage's turn (see `claimUnprotected`): what it covers stays from now on. */
  async lock(l: Omit<EvidenceLock, 'id' | 'createdAt'>): Promise<EvidenceLock> {
    const lock: EvidenceLock = { ...l, id: randomUUID(), createdAt: new Date().toISOString() };
    await this.k.transaction().execute(async (tx) => {
      await takeTurn(tx, this.dialect, 'footage');
      await tx
        .insertInto('evidence_locks')
        .values({
          id: lock.id,
          incident_id: lock.incidentId,
          camera: lock.camera,
          start_ms: Math.round(lock.startMs),
          end_ms: Math.round(lock.endMs),
          reason: lock.reason,
          created_by: lock.createdBy,
          created_at: lock.createdAt,
        })
        .execute();
    });
    return lock;
  }

  async lockById(id: string): Promise<EvidenceLock | undefined> {
    return (await this.locks({ id }))[0];
  }

  async locks(filter: { incidentId?: string; id?: string; reason?: string } = {}): Promise<EvidenceLock[]> {
    let q = this.k.selectFrom('evidence_locks').selectAll();
    if (filter.id) q = q.where('id', '=', filter.id);
    else if (filter.incidentId) q = q.where('incident_id', '=', filter.incidentId);
    else if (filter.reason) q = q.where('reason', '=', filter.reason);
    const rows = await q.orderBy('created_at').execute();
    return rows.map(toLock);
  }

  async unlock(id: string): Promise<boolean> {
    const r = await this.k.deleteFrom('evidence_locks').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
