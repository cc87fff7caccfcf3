import type { Migration } from './index.js';

/**
 * 系统状态's history keeps recording's own faults too: in each node's minute, the cameras whose
 * segment writes failed and those that dropped footage (a slow disk), and the recordings' storage
 * paths short of room (the oldest purged early) or full with everything under evidence locks. Rows
 * written before this are 0: nothing was known.
 */
export const systemMinutesRecording: Migration = {
  version: 114,
  name: 'system-minutes-recording',
  sql: `
    ALTER TABLE system_minutes ADD COLUMN rec_failing INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE system_minutes ADD COLUMN rec_dropping INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE system_minutes ADD COLUMN storage_short INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE system_minutes ADD COLUMN storage_full INTEGER NOT NULL DEFAULT 0;
  `,
};
