import type { Migration } from './index.js';

/** Verification results of alarm incidents (issue 9): one row per incident, the best frame on disk. */
export const models: Migration = {
  version: 70,
  name: 'models',
  sql: `
    CREATE TABLE verifications (
      incident_id TEXT PRIMARY KEY,
      status TEXT NOT NULL CHECK (status IN ('pending', 'person_seen', 'motion_only', 'unverified')),
      score REAL NOT NULL DEFAULT 0,
      camera TEXT,
      frame_file TEXT,
      detail TEXT,
      started_at TEXT NOT NULL,
      finished_at TEXT
    );
  `,
};
