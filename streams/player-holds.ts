import { randomUUID } from 'node:crypto';
import { takeTurn } from '../src/store/turns.js';
import { insertHolds } from './playback-holds.js';
import type { SegmentIndex } from './segment-index.js';

/** The footage a console player has open: its cameras over one window, held for one user. */
export interface PlayerHold {
  id: string;
  holder: string;
  cameras: string[];
  startMs: number;
  endMs: number;
  /** Epoch ms at which the hold lapses unless renewed before. */
  expiresMs: number;
}

export type PlaceResult = { ok: true; hold: PlayerHold } | { ok: false; reason: 'limit'; held: number };

export interface PlayerHoldsOptions {
  index: SegmentIndex;
  /** How long a hold counts without renewal: a tab that vanished holds nothing for longer (90 s). */
  ttlMs?: number;
  /** Holds one user may keep at once (a few tabs or windows); more are refused (4). */
  maxPerHolder?: number;
  now?: () => number;
}

/**
 * Holds of the console's player on the footage an investigator has open (rows of `playback_holds`
 * with `player_hold` set, one per camera). Retention passes over them as over a range playback's
 * (`SegmentIndex.claimUnprotected`), so the oldest footage, day 29 of 30, is not purged from under an
 * investigator reviewing it. The range playback's holds are renewed by their node while the stream
 * runs; these are renewed by the browser while the page is open, and moved with the playhead, so
 * they last exactly as long as someone is looking and lapse within `ttlMs` once nobody is (a closed
 * laptop, a crashed tab). The cap per user and the route's window limit bound what a forgotten tab
 * keeps: at most `maxPerHolder` windows of a few cameras each, never the disk.
 */
export class PlayerHolds {
  readonly ttlMs: number;
  readonly maxPerHolder: number;
  private readonly now: () => number;

  constructor(private readonly o: PlayerHoldsOptions) {
    this.ttlMs = o.ttlMs ?? 90_000;
    this.maxPerHolder = o.maxPerHolder ?? 4;
    this.now = o.now ?? Date.now;
  }

  /**
   * Holds `cameras` over `[startMs, endMs)` for `holder`, under the footage's turn (as a lock is
   * placed): what the index lists of the window after this resolves stays until the hold goes.
   * Refused when the holder already keeps `maxPerHolder` live holds.
   */
  async place(h: {
    holder: string;
    cameras: readonly string[];
    startMs: number;
    endMs: number;
  }): Promise<PlaceResult> {
    const { k, dialect } = this.o.index;
    const id = randomUUID();
    const now = this.now();
    const expiresMs = now + this.ttlMs;
    return k.transaction().execute(async (tx): Promise<PlaceResult> => {
      await takeTurn(tx, dialect, 'footage');
      const r = await tx
        .selectFrom('playback_holds')
        .select((eb) => eb.fn.count<number>('player_hold').distinct().as('n'))
        .where('holder', '=', h.holder)
        .where('player_hold', 'is not', null)
        .where('expires_ms', '>', now)
        .executeTakeFirstOrThrow();
      const held = Number(r.n);
      if (held >= this.maxPerHolder) return { ok: false, reason: 'limit', held };
      await insertHolds(tx, {
        cameras: h.cameras.map((camera) => ({ id: `${id}/${camera}`, camera })),
        startMs: h.startMs,
        endMs: h.endMs,
        holder: h.holder,
        expiresMs,
        playerHold: id,
      });
      return {
        ok: true,
        hold: {
          id,
          holder: h.holder,
          cameras: [...h.cameras],
          startMs: h.startMs,
          endMs: h.endMs,
          expiresMs,
        },
      };
    });
  }

  /**
   * Renews `holder`'s hold `id` for another `ttlMs`, moved to `window` when given (the playhead went
   * on). Undefined when the hold is not there to renew: released, another user's, or lapsed (then
   * retention may have taken its footage already, so the caller places a new one and reads again).
   */
  async renew(
    id: string,
    holder: string,
    window?: { startMs: number; endMs: number },
  ): Promise<PlayerHold | undefined> {
    const { k, dialect } = this.o.index;
    const now = this.now();
    const expiresMs = now + this.ttlMs;
    return k.transaction().execute(async (tx) => {
      // A moved window holds footage it did not before: under the footage's turn, as a placing.
      if (window) await takeTurn(tx, dialect, 'footage');
      const rows = await tx
        .selectFrom('playback_holds')
        .select(['camera', 'start_ms', 'end_ms', 'expires_ms'])
        .where('player_hold', '=', id)
        .where('holder', '=', holder)
        .orderBy('id')
        .execute();
      const first = rows[0];
      if (!first) return undefined;
      if (rows.some((r) => Number(r.expires_ms) <= now)) {
        await tx.deleteFrom('playback_holds').where('player_hold', '=', id).execute();
        return undefined;
      }
      const startMs = window ? Math.floor(window.startMs) : Number(first.start_ms);
      const endMs = window ? Math.ceil(window.endMs) : Number(first.end_ms);
      await tx
        .updateTable('playback_holds')
        .set({ start_ms: startMs, end_ms: endMs, expires_ms: expiresMs })
        .where('player_hold', '=', id)
        .execute();
      return { id, holder, cameras: rows.map((r) => r.camera), startMs, endMs, expiresMs };
    });
  }

  /** Releases `holder`'s hold `id` (the view closed or moved); false when there was none. */
  async release(id: string, holder: string): Promise<boolean> {
    const r = await this.o.index.k
      .deleteFrom('playback_holds')
      .where('player_hold', '=', id)
      .where('holder', '=', holder)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
