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
}

export interface CameraLoss {
  camera: string;
  /** When the camera went dark. */
  lostSince: string;
  /** Whether its video-loss event is committed (false: raise it again after a restart). */
  reported: boolean;
}

/** Video-loss state of each camera (migration 030): it survives a restart, unlike the watchdog. */
export class CameraStateStore {
  constructor(private readonly k: Kysely<DB>) {}

  /** One camera's loss, read when a node takes the camera over (issue 16). */
  async loss(camera: string): Promise<CameraLoss | undefined> {
    const r = await this.k
      .selectFrom('camera_state')
      .select(['camera', 'lost_since', 'loss_reported'])
      .where('camera', '=', camera)
      .where('lost_since', 'is not', null)
      .executeTakeFirst();
    return r
      ? { camera: r.camera, lostSince: r.lost_since!, reported: Number(r.loss_reported) === 1 }
      : undefined;
  }

  async setLoss(camera: string, lostSince: string | null, reported: boolean): Promise<void> {
    const updated_at = new Date().toISOString();
    const row = { lost_since: lostSince, loss_reported: reported ? 1 : 0, updated_at };
    await this.k
      .insertInto('camera_state')
      .values({ camera, ...row })
      .onConflict((oc) => oc.column('camera').doUpdateSet(row))
      .execute();
  }
}
