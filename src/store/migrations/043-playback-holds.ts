import type { Migration } from './index.js';

/**
 * Playback holds: the footage a playback in progress still has to read. Retention passes over a held
 * segment as it does over a locked one, so an investigator's stream is not cut short by a purge that
 * lands while it plays. A hold lasts as long as its stream, renewed while it runs (`expires_ms`); one
 * whose node died lapses on its own and the next retention pass prunes the row. In the database, not
 * in memory, because in a city the node serving the playback is not the one running retention.
 */
export const playbackHolds: Migration = {
  version: 43,
  name: 'playback-holds',
  sql: `
    CREATE TABLE playback_holds (
      id TEXT PRIMARY KEY,
      camera TEXT NOT NULL,
      start_ms INTEGER NOT NULL,
      end_ms INTEGER NOT NULL,
      holder TEXT NOT NULL,
      expires_ms INTEGER NOT NULL
    );
    CREATE INDEX playback_holds_camera ON playback_holds(camera, start_ms);
  `,
};
