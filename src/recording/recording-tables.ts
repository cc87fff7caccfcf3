/**
 * The recording plane's own tables beyond the segment index (migrations 040-042) as Kysely sees
 * them: exports, pending alarm-clip jobs, bookmarks. Times are epoch milliseconds where the column
 * says `_ms` (BIGINT on PostgreSQL), ISO-8601 text otherwise.
 */
declare module '../store/db-types.js' {
  interface DB {
    recording_exports: RecordingExportsTable;
    recording_clip_jobs: RecordingClipJobsTable;
    recording_bookmarks: RecordingBookmarksTable;
  }
}

export interface RecordingExportsTable {
  id: string;
  requested_by: string;
  /** JSON array of camera ids. */
  cameras: string;
  from_ms: number;
  to_ms: number;
  reason: string;
  incident_id: string | null;
  state: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  file: string | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
  /** JSON: the finished export's cameras with their ranges and gaps. */
  summary: string | null;
}

export interface RecordingClipJobsTable {
  incident_id: string;
  /** JSON: `{camera: {fromMs, toMs, alarmMs, doneMs?}}`. */
  cameras: string;
  due_ms: number;
  updated_at: string;
}

export interface RecordingBookmarksTable {
  id: string;
  camera: string;
  at_ms: number;
  end_ms: number | null;
  note: string;
  incident_id: string | null;
  created_by: string;
  created_at: string;
}
