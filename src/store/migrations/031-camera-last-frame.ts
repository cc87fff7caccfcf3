import type { Migration } from './index.js';

/**
 * Cameras lost together (a trouble of the receiver, like panels): when a lost camera last delivered
 * video. Empty for a camera that never delivered any since its watchdog started (a wrong address or
 * password is that camera's own fault, not a network's), and for losses stored before this column.
 */
export const cameraLastFrame: Migration = {
  version: 31,
  name: 'camera-last-frame',
  sql: `
    ALTER TABLE camera_state ADD COLUMN last_frame_at TEXT;
  `,
};
