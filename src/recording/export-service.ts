import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely, Selectable } from 'kysely';
import type { SiteKey } from '../../streams/evidence-keys.js';
import { ExportAborted, type ExportRequest, runExport } from '../../streams/export-job.js';
import type { SegmentIndex } from '../../streams/segment-index.js';
import type { Logger } from '../log.js';
import type { DB } from '../store/db-types.js';
import type { RecordingExportsTable } from './recording-tables.js';

const SHUTDOWN = 'interrupted by shutdown';

export type ExportState = 'queued' | 'running' | 'done' | 'failed';

/** A finished export's camera: wall-clock range of its clip, seconds of video, and the gaps inside. */
export interface ExportCameraSummary {
  camera: string;
  from: string;
  to: string;
  duration: number;
  gaps: { from: string; to: string; reason: string }[];
}

export interface ExportStatus {
  id: string;
  state: ExportState;
  progress: number;
  url: string | null;
  error?: string;
  requestedBy: string;
  cameras: string[];
  from: string;
  to: string;
  reason: string;
  incident: string | null;
  createdAt: string;
  /** Once done: what each camera's clip covers. */
  summary?: ExportCameraSummary[];
}

type Row = Selectable<RecordingExportsTable>;

/**
 * Export jobs: rows in `recording_exports`, run one at a time (two cores also record and relay),
 * progress written to the row and pushed through `onProgress`. Jobs a restart interrupted are failed
 * at start, not silently resumed.
 */
export class ExportService {
  private queue: ExportRequest[] = [];
  private running = false;
  private lastPush = new Map<string, number>();
  /** Aborts the running export; replaced per job. */
  private abort = new AbortController();
  private stopping = false;
  /**
   * Row writes in the order they were made: progress is written from a callback without waiting, and
   * on a connection pool a later state ('done') must not be overtaken by an earlier progress.
   */
  private writes: Promise<void> = Promise.resolve();
  /** The start-up recovery below; every read and write waits for it. */
  private readonly ready: Promise<void>;

  constructor(
    private readonly o: {
      k: Kysely<DB>;
      index: SegmentIndex;
      exportsDir: string;
      key: SiteKey;
      /** Zone of the wall-clock track in exported clips. */
      timeZone?: string;
      log: Logger;
      onProgress(status: ExportStatus): void;
      /** The ffmpeg binary; default `ffmpeg` on the PATH. */
      ffmpeg?: string;
    },
  ) {
    mkdirSync(o.exportsDir, { recursive: true });
    // What an interrupted export left behind: its partial zip and its clips being cut.
    for (const name of readdirSync(o.exportsDir))
      if (name.endsWith('.zip.part') || name.endsWith('.work'))
        rmSync(join(o.exportsDir, name), { recursive: true, force: true });
    this.ready = this.failInterrupted().catch((err: unknown) =>
      // Exports stay listed as queued/running; nothing else depends on it, so the service still starts.
      o.log.error({ err }, 'recording: could not mark exports interrupted by a restart as failed'),
    );
  }

  /** Jobs a restart interrupted are failed, not silently resumed. */
  private async failInterrupted(): Promise<void> {
    const r = await this.o.k
      .updateTable('recording_exports')
      .set({ state: 'failed', error: 'interrupted by a restart' })
      .where('state', 'in', ['queued', 'running'])
      .executeTakeFirst();
    const n = Number(r.numUpdatedRows);
    if (n > 0) this.o.log.warn({ exports: n }, 'recording: exports interrupted by a restart marked failed');
  }

  /**
   * Shutdown: the running export is aborted (its ffmpeg killed, its partial zip removed) and it and
   * every queued one are marked failed, so a SIGTERM does not wait for a long export.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const job of this.queue.splice(0)) await this.update(job.id, 'failed', 0, { error: SHUTDOWN });
    this.abort.abort(SHUTDOWN);
    await this.idle();
  }

  /**
   * Export retention: finished or failed exports created before `cutoffMs` lose their zip and row,
   * and the evidence locks they held on their source segments (incident locks stay). Returns what went.
   */
  async expire(
    cutoffMs: number,
  ): Promise<{ id: string; requestedBy: string; file: string | null; createdAt: string }[]> {
    await this.ready;
    const rows = await this.o.k
      .selectFrom('recording_exports')
      .select(['id', 'requested_by', 'file', 'created_at'])
      .where('state', 'in', ['done', 'failed'])
      .where('created_at', '<', new Date(cutoffMs).toISOString())
      .execute();
    const gone: typeof rows = [];
    for (const r of rows) {
      // File first, then the row: a crash in between leaves a row whose download is a 409, not an orphan zip.
      if (r.file) await rm(r.file, { force: true });
      const deleted = await this.o.k.transaction().execute(async (tx) => {
        const d = await tx.deleteFrom('recording_exports').where('id', '=', r.id).executeTakeFirst();
        await tx
          .deleteFrom('evidence_locks')
          .where('reason', '=', `export ${r.id}`)
          .where('incident_id', 'is', null)
          .execute();
        return Number(d.numDeletedRows) > 0;
      });
      // Only the pass that deleted the row reports it (and so audits it): a pass started at the same
      // time (the start-up pass and a manual one, or another node on PostgreSQL) saw it too.
      if (deleted) gone.push(r);
    }
    return gone.map((r) => ({
      id: r.id,
      requestedBy: r.requested_by,
      file: r.file,
      createdAt: r.created_at,
    }));
  }

  async create(req: Omit<ExportRequest, 'id'>): Promise<string> {
    await this.ready;
    const id = randomUUID();
    await this.o.k
      .insertInto('recording_exports')
      .values({
        id,
        requested_by: req.exportedBy.username,
        cameras: JSON.stringify(req.cameras),
        from_ms: req.fromMs,
        to_ms: req.toMs,
        reason: req.reason,
        incident_id: req.incident ?? null,
        state: 'queued',
        progress: 0,
        created_at: new Date().toISOString(),
      })
      .execute();
    if (this.stopping) await this.update(id, 'failed', 0, { error: SHUTDOWN });
    else {
      this.queue.push({ ...req, id });
      void this.pump();
    }
    return id;
  }

  async get(id: string): Promise<ExportStatus | undefined> {
    await this.ready;
    const r = await this.o.k
      .selectFrom('recording_exports')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? this.status(r) : undefined;
  }

  /** Exports of an incident and/or a requester, newest first. */
  async list(f: { incident?: string; requestedBy?: string }, limit = 100): Promise<ExportStatus[]> {
    await this.ready;
    let q = this.o.k.selectFrom('recording_exports').selectAll();
    if (f.incident !== undefined) q = q.where('incident_id', '=', f.incident);
    if (f.requestedBy !== undefined) q = q.where('requested_by', '=', f.requestedBy);
    const rows = await q.orderBy('created_at', 'desc').limit(limit).execute();
    return rows.map((r) => this.status(r));
  }

  private status(r: Row): ExportStatus {
    return {
      id: r.id,
      state: r.state,
      progress: Number(r.progress),
      url: r.state === 'done' ? `/api/exports/${r.id}/download` : null,
      ...(r.error ? { error: r.error } : {}),
      requestedBy: r.requested_by,
      cameras: JSON.parse(r.cameras) as string[],
      from: new Date(Number(r.from_ms)).toISOString(),
      to: new Date(Number(r.to_ms)).toISOString(),
      reason: r.reason,
      incident: r.incident_id,
      createdAt: r.created_at,
      ...(r.summary ? { summary: JSON.parse(r.summary) as ExportCameraSummary[] } : {}),
    };
  }

  /**
   * The finished zip of an export, opened, with its size and time: an open zip reads whole even when retention
   * removes it meanwhile, so a download that got it serves all of it. `not_done` when the export is
   * not (or no longer: expired since it was read) a finished one; `gone` when its row says done but
   * its zip is not on disk (retention removes the zip first, then the row; or it was removed by hand).
   */
  async open(id: string): Promise<{ zip: FileHandle; size: number; modified: Date } | 'not_done' | 'gone'> {
    const r = await this.o.k
      .selectFrom('recording_exports')
      .select('file')
      .where('id', '=', id)
      .where('state', '=', 'done')
      .executeTakeFirst();
    if (!r) return 'not_done';
    if (!r.file) return 'gone';
    let zip: FileHandle;
    try {
      zip = await open(r.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
      throw err;
    }
    try {
      const st = await zip.stat();
      return { zip, size: st.size, modified: st.mtime };
    } catch (err) {
      await zip.close();
      throw err;
    }
  }

  /** Resolves when no export is queued or running (service stop, tests). */
  async idle(): Promise<void> {
    while (this.running || this.queue.length > 0) await new Promise((r) => setTimeout(r, 50));
  }

  /** Writes the row (in order, see `writes`) and pushes the new status; never rejects. */
  private update(
    id: string,
    state: ExportState,
    progress: number,
    extra: { file?: string; error?: string; summary?: ExportCameraSummary[] } = {},
  ): Promise<void> {
    const at = new Date().toISOString();
    this.writes = this.writes
      .then(async () => {
        await this.o.k
          .updateTable('recording_exports')
          .set((eb) => ({
            state,
            progress,
            ...(extra.file !== undefined ? { file: extra.file } : {}),
            ...(extra.error !== undefined ? { error: extra.error } : {}),
            ...(extra.summary ? { summary: JSON.stringify(extra.summary) } : {}),
            finished_at: state === 'done' || state === 'failed' ? at : eb.ref('finished_at'),
          }))
          .where('id', '=', id)
          .execute();
        // Progress pushes are throttled to 4 a second; state changes always go out.
        const now = Date.now();
        if (state === 'running' && progress > 0 && now - (this.lastPush.get(id) ?? 0) < 250) return;
        this.lastPush.set(id, now);
        const status = await this.get(id);
        if (status) this.o.onProgress(status);
      })
      .catch((err: unknown) =>
        this.o.log.error({ err, export: id, state }, 'recording: could not write the export state'),
      );
    return this.writes;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        const id = job.id;
        await this.update(id, 'running', 0);
        this.abort = new AbortController();
        if (this.stopping) this.abort.abort(SHUTDOWN);
        try {
          const { file, manifest } = await runExport(job, {
            index: this.o.index,
            exportsDir: this.o.exportsDir,
            key: this.o.key,
            ...(this.o.timeZone ? { timeZone: this.o.timeZone } : {}),
            signal: this.abort.signal,
            ...(this.o.ffmpeg ? { ffmpeg: this.o.ffmpeg } : {}),
            onProgress: (p) => {
              if (p < 1) void this.update(id, 'running', Math.round(p * 1000) / 1000);
            },
          });
          await this.update(id, 'done', 1, {
            file,
            summary: manifest.cameras.map((c) => ({
              camera: c.camera,
              from: c.from,
              to: c.to,
              duration: c.duration,
              gaps: c.gaps,
            })),
          });
          this.o.log.info({ export: id, file }, 'recording: export ready');
        } catch (err) {
          if (err instanceof ExportAborted)
            this.o.log.warn({ export: id }, `recording: export ${err.message}`);
          else this.o.log.error({ err, export: id }, 'recording: export failed');
          await this.update(id, 'failed', 0, { error: err instanceof Error ? err.message : String(err) });
        }
        this.lastPush.delete(id);
      }
    } finally {
      this.running = false;
    }
  }
}
