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

/** Video-loss state of each camera (migration 030): it survives a restart, unlike the watchdog. */
export class CameraStateStore {
  constructor(private readonly k: Kysely<DB>) {}

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
