import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import type { SiteKey } from '../../streams/evidence-keys.js';
import { ExportAborted, type ExportRequest, runExport } from '../../streams/export-job.js';
import type { SegmentIndex } from '../../streams/segment-index.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/sqlite.js';

const SHUTDOWN = 'interrupted by shutdown';

export type ExportState = 'queued' | 'running' | 'done' | 'failed';

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
}

interface Row {
  id: string;
  requested_by: string;
  cameras: string;
  from_ms: number;
  to_ms: number;
  state: ExportState;
  progress: number;
  file: string | null;
  error: string | null;
}

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

  constructor(
    private readonly o: {
      db: Db;
      index: SegmentIndex;
      exportsDir: string;
      key: SiteKey;
      log: Logger;
      onProgress(status: ExportStatus): void;
      /** The ffmpeg binary; default `ffmpeg` on the PATH. */
      ffmpeg?: string;
    },
  ) {
    mkdirSync(o.exportsDir, { recursive: true });
    const n = o.db
      .prepare(
        "UPDATE recording_exports SET state = 'failed', error = 'interrupted by a restart' WHERE state IN ('queued', 'running')",
      )
      .run().changes;
    if (n > 0) o.log.warn({ exports: n }, 'recording: exports interrupted by a restart marked failed');
  }

  /**
   * Shutdown: the running export is aborted (its ffmpeg killed, its partial zip removed) and it and
   * every queued one are marked failed, so a SIGTERM does not wait for a long export.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const job of this.queue.splice(0)) this.update(job.id, 'failed', 0, { error: SHUTDOWN });
    this.abort.abort(SHUTDOWN);
    await this.idle();
  }

  /**
   * Export retention: finished or failed exports created before `cutoffMs` lose their zip and row,
   * and the evidence locks they held on their source segments (incident locks stay). Returns what went.
   */
  expire(cutoffMs: number): { id: string; requestedBy: string; file: string | null; createdAt: string }[] {
    const rows = this.o.db
      .prepare(
        "SELECT id, requested_by, file, created_at FROM recording_exports WHERE state IN ('done', 'failed') AND created_at < ?",
      )
      .all(new Date(cutoffMs).toISOString()) as {
      id: string;
      requested_by: string;
      file: string | null;
      created_at: string;
    }[];
    for (const r of rows) {
      // File first, then the row: a crash in between leaves a row whose download is a 409, not an orphan zip.
      if (r.file) rmSync(r.file, { force: true });
      this.o.db.transaction(() => {
        this.o.db.prepare('DELETE FROM recording_exports WHERE id = ?').run(r.id);
        this.o.db
          .prepare('DELETE FROM evidence_locks WHERE reason = ? AND incident_id IS NULL')
          .run(`export ${r.id}`);
      })();
    }
    return rows.map((r) => ({
      id: r.id,
      requestedBy: r.requested_by,
      file: r.file,
      createdAt: r.created_at,
    }));
  }

  create(req: Omit<ExportRequest, 'id'>): string {
    const id = randomUUID();
    this.o.db
      .prepare(
        `INSERT INTO recording_exports (id, requested_by, cameras, from_ms, to_ms, reason, incident_id, state, progress, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?)`,
      )
      .run(
        id,
        req.exportedBy.username,
        JSON.stringify(req.cameras),
        req.fromMs,
        req.toMs,
        req.reason,
        req.incident ?? null,
        new Date().toISOString(),
      );
    if (this.stopping) this.update(id, 'failed', 0, { error: SHUTDOWN });
    else {
      this.queue.push({ ...req, id });
      void this.pump();
    }
    return id;
  }

  get(id: string): ExportStatus | undefined {
    const r = this.o.db.prepare('SELECT * FROM recording_exports WHERE id = ?').get(id) as Row | undefined;
    if (!r) return undefined;
    return {
      id: r.id,
      state: r.state,
      progress: r.progress,
      url: r.state === 'done' ? `/api/exports/${r.id}/download` : null,
      ...(r.error ? { error: r.error } : {}),
      requestedBy: r.requested_by,
      cameras: JSON.parse(r.cameras) as string[],
      from: new Date(r.from_ms).toISOString(),
      to: new Date(r.to_ms).toISOString(),
    };
  }

  /** The finished zip of an export, or undefined. */
  file(id: string): string | undefined {
    const r = this.o.db
      .prepare('SELECT file FROM recording_exports WHERE id = ? AND state = ?')
      .get(id, 'done') as { file: string } | undefined;
    return r && existsSync(r.file) ? r.file : undefined;
  }

  /** Resolves when no export is queued or running (service stop, tests). */
  async idle(): Promise<void> {
    while (this.running || this.queue.length > 0) await new Promise((r) => setTimeout(r, 50));
  }

  private update(
    id: string,
    state: ExportState,
    progress: number,
    extra: { file?: string; error?: string } = {},
  ) {
    this.o.db
      .prepare(
        `UPDATE recording_exports SET state = ?, progress = ?, file = COALESCE(?, file), error = COALESCE(?, error),
         finished_at = CASE WHEN ? IN ('done', 'failed') THEN ? ELSE finished_at END WHERE id = ?`,
      )
      .run(state, progress, extra.file ?? null, extra.error ?? null, state, new Date().toISOString(), id);
    // Progress pushes are throttled to 4 a second; state changes always go out.
    const now = Date.now();
    if (state === 'running' && progress > 0 && now - (this.lastPush.get(id) ?? 0) < 250) return;
    this.lastPush.set(id, now);
    const status = this.get(id);
    if (status) this.o.onProgress(status);
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        const id = job.id;
        this.update(id, 'running', 0);
        this.abort = new AbortController();
        if (this.stopping) this.abort.abort(SHUTDOWN);
        try {
          const { file } = await runExport(job, {
            index: this.o.index,
            exportsDir: this.o.exportsDir,
            key: this.o.key,
            signal: this.abort.signal,
            ...(this.o.ffmpeg ? { ffmpeg: this.o.ffmpeg } : {}),
            onProgress: (p) => {
              if (p < 1) this.update(id, 'running', Math.round(p * 1000) / 1000);
            },
          });
          this.update(id, 'done', 1, { file });
          this.o.log.info({ export: id, file }, 'recording: export ready');
        } catch (err) {
          if (err instanceof ExportAborted)
            this.o.log.warn({ export: id }, `recording: export ${err.message}`);
          else this.o.log.error({ err, export: id }, 'recording: export failed');
          this.update(id, 'failed', 0, { error: err instanceof Error ? err.message : String(err) });
        }
        this.lastPush.delete(id);
      }
    } finally {
      this.running = false;
    }
  }
}
