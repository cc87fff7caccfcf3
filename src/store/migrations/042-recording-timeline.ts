import type { Migration } from './index.js';

/**
 * Recording timeline (issue 14).
 * - Segments say whether their file's timestamps start at zero (`zero_based`; older files carry their
 *   place in the upstream and are rebased when read), how many frames they hold and where their
 *   keyframes are (ms from the start, comma-separated), for frame stepping and reverse play.
 * - `recording_runs`: contiguous recorded ranges per camera, kept by the index as segments come and
 *   go, so a timeline over days reads a handful of rows instead of every 4 s segment. Backfilled from
 *   the segments with window functions (SQLite 3.25+, PostgreSQL).
 * - `recording_bookmarks`: an investigator's marks (a moment or a range) with a note, kept with the
 *   incident they belong to.
 * - `recording_exports.summary`: a finished export's cameras with their wall-clock range, video
 *   duration and gaps (JSON, from its manifest), for the console.
 */
export const recordingTimeline: Migration = {
  version: 42,
  name: 'recording-timeline',
  sql: `
    ALTER TABLE recording_segments ADD COLUMN zero_based INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE recording_segments ADD COLUMN frames INTEGER;
    ALTER TABLE recording_segments ADD COLUMN keyframes TEXT;

    CREATE TABLE recording_runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      camera TEXT NOT NULL,
      start_ms INTEGER NOT NULL,
      end_ms INTEGER NOT NULL
    );
    CREATE INDEX recording_runs_camera_end ON recording_runs(camera, end_ms);

    INSERT INTO recording_runs (camera, start_ms, end_ms)
    SELECT camera, MIN(start_ms), MAX(end_ms) FROM (
      SELECT camera, start_ms, end_ms,
        SUM(brk) OVER (PARTITION BY camera ORDER BY start_ms ROWS UNBOUNDED PRECEDING) AS grp
      FROM (
        SELECT camera, start_ms, end_ms,
          CASE WHEN start_ms - LAG(end_ms) OVER (PARTITION BY camera ORDER BY start_ms) <= 250
            THEN 0 ELSE 1 END AS brk
        FROM recording_segments
      ) marked
    ) grouped
    GROUP BY camera, grp;

    CREATE TABLE recording_bookmarks (
      id TEXT PRIMARY KEY,
      camera TEXT NOT NULL,
      at_ms INTEGER NOT NULL,
      end_ms INTEGER,
      note TEXT NOT NULL,
      incident_id TEXT,
      created_by TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX recording_bookmarks_camera_at ON recording_bookmarks(camera, at_ms);
    CREATE INDEX recording_bookmarks_incident ON recording_bookmarks(incident_id);

    ALTER TABLE recording_exports ADD COLUMN summary TEXT;
    CREATE INDEX recording_exports_incident ON recording_exports(incident_id);
  `,
};
