import type { Db } from '../store/sqlite.js';

export type VerificationStatus = 'pending' | 'person_seen' | 'motion_only' | 'unverified';

/** What an incident carries as `verification` (DESIGN.md, issue 9). */
export interface Verification {
  status: VerificationStatus;
  /** Best person score (person_seen) or the largest changed fraction of a frame (motion). */
  score: number;
  camera: string | null;
  /** Audited, scoped URL of the best frame, when one was kept. */
  bestFrameUrl: string | null;
  /** Per camera: frames looked at, motion score, best person score, detections on the best frame. */
  cameras?: CameraVerdict[];
  at: string;
}

export interface CameraVerdict {
  camera: string;
  frames: number;
  source: 'recording' | 'live' | 'none';
  motion: number;
  person: number;
  detections: { label: string; score: number; box: [number, number, number, number] }[];
  error?: string;
}

interface Row {
  incident_id: string;
  status: VerificationStatus;
  score: number;
  camera: string | null;
  frame_file: string | null;
  detail: string | null;
  started_at: string;
  finished_at: string | null;
}

export function frameUrl(incidentId: string): string {
  return `/api/incidents/${encodeURIComponent(incidentId)}/verification/frame`;
}

/** The `verifications` table (migration 70). */
export class VerificationStore {
  // Prepared once: `get` runs for every incident the API, the socket and the webhooks send.
  private readonly getStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare('SELECT * FROM verifications WHERE incident_id = ?');
  }

  /** Marks an incident as being verified; false when it already has a row (verified once only). */
  start(incidentId: string, at: string): boolean {
    const r = this.db
      .prepare(
        "INSERT INTO verifications (incident_id, status, started_at) VALUES (?, 'pending', ?) ON CONFLICT DO NOTHING",
      )
      .run(incidentId, at);
    return r.changes === 1;
  }

  finish(
    incidentId: string,
    v: { status: VerificationStatus; score: number; camera: string | null; frameFile: string | null },
    cameras: CameraVerdict[],
    at: string,
  ): void {
    this.db
      .prepare(
        `UPDATE verifications SET status = ?, score = ?, camera = ?, frame_file = ?, detail = ?, finished_at = ?
         WHERE incident_id = ?`,
      )
      .run(v.status, v.score, v.camera, v.frameFile, JSON.stringify(cameras), at, incidentId);
  }

  get(incidentId: string): Verification | undefined {
    const r = this.getStmt.get(incidentId) as Row | undefined;
    if (!r) return undefined;
    return {
      status: r.status,
      score: r.score,
      camera: r.camera,
      bestFrameUrl: r.frame_file ? frameUrl(r.incident_id) : null,
      ...(r.detail ? { cameras: JSON.parse(r.detail) as CameraVerdict[] } : {}),
      at: r.finished_at ?? r.started_at,
    };
  }

  frameFile(incidentId: string): string | undefined {
    const r = this.db.prepare('SELECT frame_file FROM verifications WHERE incident_id = ?').get(incidentId) as
      | { frame_file: string | null }
      | undefined;
    return r?.frame_file ?? undefined;
  }

  /** Incidents left pending by a crash: verified again on start. */
  pending(): string[] {
    return (
      this.db.prepare("SELECT incident_id FROM verifications WHERE status = 'pending'").all() as {
        incident_id: string;
      }[]
    ).map((r) => r.incident_id);
  }
}
