import type { Generated } from 'kysely';

/**
 * The recording index's tables (migrations 040, 042, 043, 044 and 045) as Kysely sees them, on SQLite and
 * PostgreSQL alike. Times are epoch milliseconds (BIGINT on PostgreSQL, read back as numbers by the
 * store's type parser); booleans are integers 0/1.
 */
declare module '../src/store/db-types.js' {
  interface DB {
    recording_segments: RecordingSegmentsTable;
    recording_runs: RecordingRunsTable;
    recording_gaps: RecordingGapsTable;
    evidence_locks: EvidenceLocksTable;
    playback_holds: PlaybackHoldsTable;
    recording_purges: RecordingPurgesTable;
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

export interface PlaybackHoldsTable {
  id: string;
  camera: string;
  start_ms: number;
  end_ms: number;
  /** Who is watching (a username), for the log and for a person reading the table. */
  holder: string;
  /** Epoch ms after which the hold no longer counts (renewed while its stream runs). */
  expires_ms: number;
  /** The console player's hold this row is one camera of (`player-holds.ts`); null for a range playback's. */
  player_hold: string | null;
}

/** The stretch of a camera's footage retention has purged: oldest start, newest end (epoch ms). */
export interface RecordingPurgesTable {
  camera: string;
  from_ms: number;
  until_ms: number;
}
