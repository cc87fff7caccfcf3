import type { Migration } from './index.js';

/**
 * Issue 13: a camera's video-loss state survives a restart, so its restore closes the ticket its loss
 * opened, and a loss not yet committed is raised again after a crash.
 */
export const cameraState: Migration = {
  version: 30,
  name: 'camera-state',
  sql: `
    CREATE TABLE camera_state (
      camera TEXT PRIMARY KEY,
      lost_since TEXT,
      loss_reported INTEGER NOT NULL DEFAULT 0,
      updated_at TEXT NOT NULL
    );
  `,
};
