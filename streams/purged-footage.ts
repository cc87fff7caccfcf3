import type { Kysely } from 'kysely';
import type { DB } from '../src/store/db-types.js';

/**
 * What is left of one camera's footage, so a player can tell footage retention removed from footage
 * never recorded: a hole in the index between `purgedFromMs` and `purgedUntilMs` (and not a recorder's
 * gap) was recorded and purged; a hole outside it, the camera recorded nothing.
 */
export interface KeptFootage {
  /** Start of the oldest segment still kept; null when none is. */
  oldestKeptMs: number | null;
  /** Start of the oldest segment retention ever purged (since migration 045); null when none. */
  purgedFromMs: number | null;
  /** End of the newest segment retention ever purged; null when none. */
  purgedUntilMs: number | null;
}

/**
 * Widens each camera's purged stretch (`recording_purges`) over the segments retention just took out
 * of the index. Call it in the claim's own transaction, under the footage's turn: read, then written,
 * by one pass at a time on both databases.
 */
export async function notePurged(
  tx: Kysely<DB>,
  claimed: readonly { camera: string; startMs: number; endMs: number }[],
): Promise<void> {
  const byCamera = new Map<string, { from: number; until: number }>();
  for (const s of claimed) {
    const r = byCamera.get(s.camera);
    if (r) {
      r.from = Math.min(r.from, s.startMs);
      r.until = Math.max(r.until, s.endMs);
    } else byCamera.set(s.camera, { from: s.startMs, until: s.endMs });
  }
  for (const [camera, r] of byCamera) {
    const had = await tx
      .selectFrom('recording_purges')
      .select(['from_ms', 'until_ms'])
      .where('camera', '=', camera)
      .executeTakeFirst();
    if (!had) {
      await tx
        .insertInto('recording_purges')
        .values({ camera, from_ms: r.from, until_ms: r.until })
        .execute();
      continue;
    }
    await tx
      .updateTable('recording_purges')
      .set({
        from_ms: Math.min(Number(had.from_ms), r.from),
        until_ms: Math.max(Number(had.until_ms), r.until),
      })
      .where('camera', '=', camera)
      .execute();
  }
}

/** A camera's oldest kept footage and the stretch retention purged of it. */
export async function keptFootage(k: Kysely<DB>, camera: string): Promise<KeptFootage> {
  const [oldest, purged] = await Promise.all([
    k
      .selectFrom('recording_segments')
      .select('start_ms')
      .where('camera', '=', camera)
      .orderBy('start_ms')
      .limit(1)
      .executeTakeFirst(),
    k
      .selectFrom('recording_purges')
      .select(['from_ms', 'until_ms'])
      .where('camera', '=', camera)
      .executeTakeFirst(),
  ]);
  return {
    oldestKeptMs: oldest ? Number(oldest.start_ms) : null,
    purgedFromMs: purged ? Number(purged.from_ms) : null,
    purgedUntilMs: purged ? Number(purged.until_ms) : null,
  };
}
