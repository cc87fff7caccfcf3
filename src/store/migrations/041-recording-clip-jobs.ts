import type { Migration } from './index.js';

/**
 * Pending alarm-clip jobs (issue 6): an incident's cameras and their clip windows, written when the
 * incident opens or an event extends it, so a restart before the postroll ends still cuts the clip.
 * `cameras` is JSON: `{camera: {fromMs, toMs, alarmMs, doneMs?}}`; `doneMs` is written in the same
 * transaction as the clip row, so a resumed job never cuts a camera's clip twice.
 */
export const recordingClipJobs: Migration = {
  version: 41,
  name: 'recording-clip-jobs',
  sql: `
    CREATE TABLE recording_clip_jobs (
      incident_id TEXT PRIMARY KEY,
      cameras TEXT NOT NULL,
      due_ms INTEGER NOT NULL,
      updated_at TEXT NOT NULL
    );
  `,
};
