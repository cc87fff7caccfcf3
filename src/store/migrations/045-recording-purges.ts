import type { Migration } from './index.js';

/**
 * What retention has purged of each camera (`streams/purged-footage.ts`): the stretch from the start
 * of the oldest to the end of the newest segment it ever deleted. Footage the index lacks inside it
 * was recorded and is gone (past its retention period, or removed to free disk); outside it, the
 * camera recorded nothing. One row a camera, widened in retention's own claim transaction. Known from
 * this migration on: what a pass purged before it is not in it.
 */
export const recordingPurges: Migration = {
  version: 45,
  name: 'recording-purges',
  sql: `
    CREATE TABLE recording_purges (
      camera TEXT PRIMARY KEY,
      from_ms INTEGER NOT NULL,
      until_ms INTEGER NOT NULL
    );
  `,
};
