import type { Generated } from 'kysely';

/**
 * The recording index's tables (migrations 040 and 042) as Kysely sees them, on SQLite and
 * PostgreSQL alike. Times are epoch milliseconds (BIGINT on PostgreSQL, read back as numbers by the
 * store's type parser); booleans are integers 0/1.
 */
declare module '../src/store/db-types.js' {
  interface DB {
    recording_segments: RecordingSegmentsTable;
    recording_runs: RecordingRunsTable;
    recording_gaps: RecordingGapsTable;
    evidence_locks: EvidenceLocksTable;
  }
}

export interface RecordingSegmentsTable {
  id: Generated<number>;
  camera: string;
  start_ms: number;
  end_ms: number;
  bytes: number;
  storage: string;
  path: string;
  keyframe: number;
  codec: string;
  created_at: string;
  zero_based: Generated<number>;
  frames: number | null;
  /** Keyframe offsets in ms from the start, comma-separated. */
  keyframes: string | null;
}

export interface RecordingRunsTable {
  id: Generated<number>;
  camera: string;
  start_ms: number;
  end_ms: number;
}

export interface RecordingGapsTable {
  id: Generated<number>;
  camera: string;
  start_ms: number;
  end_ms: number;
  reason: string;
}

export interface EvidenceLocksTable {
  id: string;
  incident_id: string | null;
  camera: string | null;
  start_ms: number;
  end_ms: number;
  reason: string;
  created_by: string;
  created_at: string;
}
