import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../src/store/db-types.js';
import { takeTurn } from '../src/store/turns.js';
import type { SegmentIndex } from './segment-index.js';

/**
 * Writes hold rows of `playback_holds`, one per camera, over whole milliseconds around the range.
 * Call it in a transaction that took the footage's turn (`takeTurn(tx, dialect, 'footage')`).
 */
export async function insertHolds(
  tx: Kysely<DB>,
  h: {
    cameras: readonly { id: string; camera: string }[];
    startMs: number;
    endMs: number;
    holder: string;
    expiresMs: number;
    playerHold?: string;
  },
): Promise<void> {
  await tx
    .insertInto('playback_holds')
    .values(
      h.cameras.map(({ id, camera }) => ({
        id,
        camera,
        start_ms: Math.floor(h.startMs),
        end_ms: Math.ceil(h.endMs),
        holder: h.holder,
        expires_ms: h.expiresMs,
        ...(h.playerHold !== undefined ? { player_hold: h.playerHold } : {}),
      })),
    )
    .execute();
}

/** A playback's hold on one camera's footage over a range; `release` when the stream is done with it. */
export interface PlaybackHold {
  id: string;
  camera: string;
  startMs: number;
  endMs: number;
  release(): Promise<void>;
}

export interface PlaybackHoldsOptions {
  index: SegmentIndex;
  log: Pick<Logger, 'warn'>;
  /** How long a hold counts without renewal: a node that dies holds nothing for longer (default 60 s). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Holds on the footage playbacks in progress are reading (`playback_holds`). Retention passes over a
 * held segment as over a locked one (`SegmentIndex.claimUnprotected`), so a purge that lands while an
 * investigator watches takes other footage for its cap instead of cutting the stream short. Unlike an
 * evidence lock, a hold is the stream's own: this node renews its holds every third of `ttlMs` while
 * they are held and releases each as its stream ends, so footage is kept past its retention for as
 * long as someone is reading it and no longer (a dead node's holds lapse within `ttlMs`).
 */
export class PlaybackHolds {
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly o: PlaybackHoldsOptions) {
    this.ttlMs = o.ttlMs ?? 60_000;
    this.now = o.now ?? Date.now;
  }

  /** Holds being renewed by this node. */
  get size(): number {
    return this.held.size;
  }

  /**
   * Holds `camera` over `[startMs, endMs)` for `holder`, under the footage's turn: once this resolves,
   * every segment of the range still in the index stays there (and on disk) until the hold is released.
   * Read the range's segments after it, not before: one claimed meanwhile is gone from the index.
   */
  async hold(h: { camera: string; startMs: number; endMs: number; holder: string }): Promise<PlaybackHold> {
    const id = randomUUID();
    const { k, dialect } = this.o.index;
    await k.transaction().execute(async (tx) => {
      await takeTurn(tx, dialect, 'footage');
      await insertHolds(tx, {
        cameras: [{ id, camera: h.camera }],
        startMs: h.startMs,
        endMs: h.endMs,
        holder: h.holder,
        expiresMs: this.now() + this.ttlMs,
      });
    });
    this.held.add(id);
    this.timer ??= setInterval(() => void this.renew(), Math.max(1000, this.ttlMs / 3)).unref();
    let released: Promise<void> | undefined;
    return {
      id,
      camera: h.camera,
      startMs: h.startMs,
      endMs: h.endMs,
      release: () => {
        released ??= this.release(id);
        return released;
      },
    };
  }

  /** Releases every hold of this node (the service is stopping: no stream outlives it). */
  async stop(): Promise<void> {
    await Promise.all([...this.held].map((id) => this.release(id)));
  }

  private async release(id: string): Promise<void> {
    this.held.delete(id);
    if (this.held.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    try {
      await this.o.index.k.deleteFrom('playback_holds').where('id', '=', id).execute();
    } catch (err) {
      // Tolerated: the row lapses within ttlMs and the next retention pass prunes it.
      this.o.log.warn(
        { err, hold: id },
        'recording: could not release a playback hold; it lapses on its own',
      );
    }
  }

  private async renew(): Promise<void> {
    const ids = [...this.held];
    if (ids.length === 0) return;
    try {
      await this.o.index.k
        .updateTable('playback_holds')
        .set({ expires_ms: this.now() + this.ttlMs })
        .where('id', 'in', ids)
        .execute();
    } catch (err) {
      // Tolerated until the next renewal: a hold that lapses meanwhile lets retention take its range.
      this.o.log.warn({ err, holds: ids.length }, 'recording: could not renew playback holds');
    }
  }
}
