import type { Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';

declare module '../store/db-types.js' {
  interface DB {
    camera_state: CameraStateTable;
  }
}

export interface CameraStateTable {
  camera: string;
  lost_since: string | null;
  loss_reported: number;
  updated_at: string;
  /** Migration 031: when the lost camera last delivered video; null if never since its watchdog began. */
  last_frame_at: string | null;
}

export interface CameraLoss {
  camera: string;
  /** When the camera went dark. */
  lostSince: string;
  /** Whether its video-loss event is committed (false: raise it again after a restart). */
  reported: boolean;
  /** When it last delivered video before the loss; absent when it never had (or it is not known). */
  lastFrameAt?: string;
}

/**
 * Video-loss state of each camera (migration 030): it survives a restart, unlike the watchdog.
 * `onlyWriter` (SQLite: one node): the losses are also kept in memory once read, as this store
 * writes them, so the health checks' `losses()` reads no rows on the alarm thread (14,642 cameras
 * with 3,000 lost: 4.4 ms a read, `bench/camera-losses.ts`). In a city every node writes: it reads.
 */
export class CameraStateStore {
  private mirror: Map<string, CameraLoss> | undefined;
  private mirrorLoad: Promise<Map<string, CameraLoss>> | undefined;
  /** Writes finished so far (the mirror's first read is retried when one lands during it). */
  private writes = 0;

  constructor(
    private readonly k: Kysely<DB>,
    private readonly opts: { onlyWriter?: boolean } = {},
  ) {}

  /** One camera's loss, read when a node takes the camera over (issue 16). */
  async loss(camera: string): Promise<CameraLoss | undefined> {
    const r = await this.k
      .selectFrom('camera_state')
      .select(['camera', 'lost_since', 'loss_reported', 'last_frame_at'])
      .where('camera', '=', camera)
      .where('lost_since', 'is not', null)
      .executeTakeFirst();
    return r ? toLoss(r) : undefined;
  }

  /** Every camera lost now, of every node (cameras lost together are judged over the city). */
  async losses(): Promise<CameraLoss[]> {
    if (!this.opts.onlyWriter) return this.read();
    this.mirrorLoad ??= this.load();
    return [...(await this.mirrorLoad).values()];
  }

  /** The mirror's first read, again if a write finished meanwhile (it may be in the rows or not). */
  private async load(): Promise<Map<string, CameraLoss>> {
    for (;;) {
      const writes = this.writes;
      const all = await this.read();
      if (writes !== this.writes) continue;
      this.mirror = new Map(all.map((l) => [l.camera, l]));
      return this.mirror;
    }
  }

  private async read(): Promise<CameraLoss[]> {
    const rows = await this.k
      .selectFrom('camera_state')
      .select(['camera', 'lost_since', 'loss_reported', 'last_frame_at'])
      .where('lost_since', 'is not', null)
      .execute();
    return rows.map(toLoss);
  }

  /**
   * A loss begins (`lostSince`, with `lastFrameAt` when the camera had delivered video), is marked
   * committed (`reported`; `lastFrameAt` left as stored), or ends (`lostSince` null).
   */
  async setLoss(
    camera: string,
    lostSince: string | null,
    reported: boolean,
    lastFrameAt?: string | null,
  ): Promise<void> {
    const updated_at = new Date().toISOString();
    const row = {
      lost_since: lostSince,
      loss_reported: reported ? 1 : 0,
      updated_at,
      ...(lostSince === null
        ? { last_frame_at: null }
        : lastFrameAt !== undefined
          ? { last_frame_at: lastFrameAt }
          : {}),
    };
    await this.k
      .insertInto('camera_state')
      .values({ camera, ...row })
      .onConflict((oc) => oc.column('camera').doUpdateSet(row))
      .execute();
    this.writes++;
    // As stored: a mirror read before this write began is brought up to it.
    const m = this.mirror;
    if (!m) return;
    if (lostSince === null) m.delete(camera);
    else {
      const last = 'last_frame_at' in row ? row.last_frame_at : m.get(camera)?.lastFrameAt;
      m.set(camera, { camera, lostSince, reported, ...(last ? { lastFrameAt: last } : {}) });
    }
  }
}

function toLoss(
  r: Pick<CameraStateTable, 'camera' | 'lost_since' | 'loss_reported' | 'last_frame_at'>,
): CameraLoss {
  return {
    camera: r.camera,
    lostSince: r.lost_since!,
    reported: Number(r.loss_reported) === 1,
    ...(r.last_frame_at ? { lastFrameAt: r.last_frame_at } : {}),
  };
}
