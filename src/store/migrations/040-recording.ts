import type { Migration } from './index.js';

/**
 * Recording index (issue 6). Times are epoch milliseconds (UTC) so range queries stay numeric.
 * Gaps are explicit rows written by the recorder when a segment starts later than the previous one
 * of the same camera ended (stream lost, service down), not derived at query time.
 */
export const recording: Migration = {
  version: 40,
  name: 'recording',
  sql: `
    CREATE TABLE recording_segments (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      camera TEXT NOT NULL,
      start_ms INTEGER NOT NULL,
      end_ms INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      storage TEXT NOT NULL,
      path TEXT NOT NULL UNIQUE,
      keyframe INTEGER NOT NULL,
      codec TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX recording_segments_camera_start ON recording_segments(camera, start_ms);
    CREATE INDEX recording_segments_storage_start ON recording_segments(storage, start_ms);

    CREATE TABLE recording_gaps (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      camera TEXT NOT NULL,
      start_ms INTEGER NOT NULL,
      end_ms INTEGER NOT NULL,
      reason TEXT NOT NULL
    );
    CREATE INDEX recording_gaps_camera_start ON recording_gaps(camera, start_ms);

    CREATE TABLE evidence_locks (
      id TEXT PRIMARY KEY,
      incident_id TEXT,
      camera TEXT,
      start_ms INTEGER NOT NULL,
      end_ms INTEGER NOT NULL,
      reason TEXT NOT NULL,
      created_by TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX evidence_locks_range ON evidence_locks(start_ms, end_ms);

    CREATE TABLE recording_exports (
      id TEXT PRIMARY KEY,
      requested_by TEXT NOT NULL,
      cameras TEXT NOT NULL,
      from_ms INTEGER NOT NULL,
      to_ms INTEGER NOT NULL,
      reason TEXT NOT NULL,
      incident_id TEXT,
      state TEXT NOT NULL,
      progress REAL NOT NULL,
      file TEXT,
      error TEXT,
      created_at TEXT NOT NULL,
      finished_at TEXT
    );
  `,
};
