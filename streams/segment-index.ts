import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';

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
}

export interface Gap {
  camera: string;
  startMs: number;
  endMs: number;
  reason: string;
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

interface SegmentRow {
  id: number;
  camera: string;
  start_ms: number;
  end_ms: number;
  bytes: number;
  storage: string;
  path: string;
  keyframe: number;
  codec: string;
}

const toSegment = (r: SegmentRow): Segment => ({
  id: r.id,
  camera: r.camera,
  startMs: r.start_ms,
  endMs: r.end_ms,
  bytes: r.bytes,
  storage: r.storage,
  path: r.path,
  keyframe: r.keyframe === 1,
  codec: r.codec,
});

/** A segment is protected while any evidence lock of its camera (or of all cameras) overlaps it. */
const UNPROTECTED = `NOT EXISTS (SELECT 1 FROM evidence_locks l
  WHERE (l.camera IS NULL OR l.camera = s.camera) AND l.start_ms < s.end_ms AND l.end_ms > s.start_ms)`;

/** The recording index in SQLite: segments, gaps and evidence locks (migration 040). */
export class SegmentIndex {
  constructor(private readonly db: Database.Database) {}

  addSegment(s: Omit<Segment, 'id'>): Segment {
    const info = this.db
      .prepare(
        `INSERT INTO recording_segments (camera, start_ms, end_ms, bytes, storage, path, keyframe, codec, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.camera,
        Math.round(s.startMs),
        Math.round(s.endMs),
        s.bytes,
        s.storage,
        s.path,
        s.keyframe ? 1 : 0,
        s.codec,
        new Date().toISOString(),
      );
    return { ...s, id: Number(info.lastInsertRowid) };
  }

  /** Segments of a camera overlapping `[fromMs, toMs)`, oldest first. */
  segments(camera: string, fromMs: number, toMs: number): Segment[] {
    return (
      this.db
        .prepare(
          'SELECT * FROM recording_segments WHERE camera = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms',
        )
        .all(camera, fromMs, toMs) as SegmentRow[]
    ).map(toSegment);
  }

  lastSegment(camera: string): Segment | undefined {
    const r = this.db
      .prepare('SELECT * FROM recording_segments WHERE camera = ? ORDER BY end_ms DESC LIMIT 1')
      .get(camera) as SegmentRow | undefined;
    return r ? toSegment(r) : undefined;
  }

  allSegments(storage?: string): Segment[] {
    const rows = storage
      ? this.db.prepare('SELECT * FROM recording_segments WHERE storage = ? ORDER BY start_ms').all(storage)
      : this.db.prepare('SELECT * FROM recording_segments ORDER BY start_ms').all();
    return (rows as SegmentRow[]).map(toSegment);
  }

  removeSegment(id: number): void {
    this.db.prepare('DELETE FROM recording_segments WHERE id = ?').run(id);
  }

  totalBytes(storage: string): number {
    const r = this.db
      .prepare('SELECT COALESCE(SUM(bytes), 0) AS n FROM recording_segments WHERE storage = ?')
      .get(storage) as { n: number };
    return r.n;
  }

  /** Recording rate of a storage path over its last `windowMs` of segments, in bytes per second. */
  bytesPerSecond(storage: string, sinceMs: number): number {
    const r = this.db
      .prepare(
        `SELECT COALESCE(SUM(bytes), 0) AS bytes, COALESCE(SUM(end_ms - start_ms), 0) AS ms,
           COUNT(DISTINCT camera) AS cams
         FROM recording_segments WHERE storage = ? AND start_ms >= ?`,
      )
      .get(storage, sinceMs) as { bytes: number; ms: number; cams: number };
    if (r.ms <= 0) return 0;
    // Bytes per second of one camera times the cameras recording in parallel.
    return (r.bytes / (r.ms / 1000)) * r.cams;
  }

  /** Oldest segments of a storage path that no evidence lock covers. */
  oldestUnprotected(storage: string, limit: number, beforeMs = Number.MAX_SAFE_INTEGER): Segment[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM recording_segments s WHERE s.storage = ? AND s.end_ms <= ? AND ${UNPROTECTED}
           ORDER BY s.start_ms LIMIT ?`,
        )
        .all(storage, beforeMs, limit) as SegmentRow[]
    ).map(toSegment);
  }

  isProtected(seg: Pick<Segment, 'camera' | 'startMs' | 'endMs'>): boolean {
    return (
      this.db
        .prepare(
          `SELECT 1 FROM evidence_locks l WHERE (l.camera IS NULL OR l.camera = ?)
           AND l.start_ms < ? AND l.end_ms > ? LIMIT 1`,
        )
        .get(seg.camera, seg.endMs, seg.startMs) !== undefined
    );
  }

  addGap(g: Gap): void {
    this.db
      .prepare('INSERT INTO recording_gaps (camera, start_ms, end_ms, reason) VALUES (?, ?, ?, ?)')
      .run(g.camera, Math.round(g.startMs), Math.round(g.endMs), g.reason);
  }

  gaps(camera: string, fromMs: number, toMs: number): Gap[] {
    return (
      this.db
        .prepare(
          `SELECT camera, start_ms AS startMs, end_ms AS endMs, reason FROM recording_gaps
           WHERE camera = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms`,
        )
        .all(camera, fromMs, toMs) as Gap[]
    ).map((g) => ({ ...g }));
  }

  /** Gaps older than `beforeMs` go with the footage around them. */
  pruneGaps(beforeMs: number): number {
    return this.db.prepare('DELETE FROM recording_gaps WHERE end_ms < ?').run(beforeMs).changes;
  }

  lock(l: Omit<EvidenceLock, 'id' | 'createdAt'>): EvidenceLock {
    const lock: EvidenceLock = { ...l, id: randomUUID(), createdAt: new Date().toISOString() };
    this.db
      .prepare(
        `INSERT INTO evidence_locks (id, incident_id, camera, start_ms, end_ms, reason, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        lock.id,
        lock.incidentId,
        lock.camera,
        Math.round(lock.startMs),
        Math.round(lock.endMs),
        lock.reason,
        lock.createdBy,
        lock.createdAt,
      );
    return lock;
  }

  lockById(id: string): EvidenceLock | undefined {
    return this.locks({ id })[0];
  }

  locks(filter: { incidentId?: string; id?: string } = {}): EvidenceLock[] {
    const rows = (
      filter.id
        ? this.db.prepare('SELECT * FROM evidence_locks WHERE id = ?').all(filter.id)
        : filter.incidentId
          ? this.db
              .prepare('SELECT * FROM evidence_locks WHERE incident_id = ? ORDER BY created_at')
              .all(filter.incidentId)
          : this.db.prepare('SELECT * FROM evidence_locks ORDER BY created_at').all()
    ) as {
      id: string;
      incident_id: string | null;
      camera: string | null;
      start_ms: number;
      end_ms: number;
      reason: string;
      created_by: string;
      created_at: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      incidentId: r.incident_id,
      camera: r.camera,
      startMs: r.start_ms,
      endMs: r.end_ms,
      reason: r.reason,
      createdBy: r.created_by,
      createdAt: r.created_at,
    }));
  }

  unlock(id: string): boolean {
    return this.db.prepare('DELETE FROM evidence_locks WHERE id = ?').run(id).changes > 0;
  }
}
