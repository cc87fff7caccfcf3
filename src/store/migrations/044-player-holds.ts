import type { Migration } from './index.js';

/**
 * The console player's holds (`streams/player-holds.ts`): rows of `playback_holds` like a range
 * playback's, one per camera of the player's view, tied together by `player_hold` (null for a range
 * playback's own hold). Unlike a range playback's, the browser renews them, not a node: a tab that
 * closes releases its hold, one that vanishes stops renewing and its rows lapse on their own. Indexed
 * by holder for the cap of holds a user may keep at once.
 */
export const playerHolds: Migration = {
  version: 44,
  name: 'player-holds',
  sql: `
    ALTER TABLE playback_holds ADD COLUMN player_hold TEXT;
    CREATE INDEX playback_holds_player ON playback_holds(player_hold);
    CREATE INDEX playback_holds_holder ON playback_holds(holder, expires_ms);
  `,
};
