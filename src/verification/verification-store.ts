import type { Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';
import { prepare } from '../store/prepared.js';

/** Read with every push of an incident (src/store/prepared.ts). */
const VERIFICATION = prepare<{ id: string }>()((k, p) =>
  k.selectFrom('verifications').selectAll().where('incident_id', '=', p('id')),
);

export type VerificationStatus = 'pending' | 'person_seen' | 'vehicle_seen' | 'motion_only' | 'unverified';

/** What an incident carries as `verification` (DESIGN.md, issue 9). */
export interface Verification {
  status: VerificationStatus;
  /** Best person (vehicle) score, or the largest changed fraction of a frame (motion). */
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
  /** Frames sampled (recorded preroll + live). */
  frames: number;
  /** Frames the detector looked at. */
  analysed?: number;
  /** Frames it would have looked at but the inference queue was full (a burst of alarms). */
  shed?: number;
  source: 'recording' | 'live' | 'none';
  motion: number;
  person: number;
  detections: { label: string; score: number; box: [number, number, number, number] }[];
  error?: string;
}

declare module '../store/db-types.js' {
  interface DB {
    verifications: VerificationsTable;
  }
}

/** Migration 70. */
export interface VerificationsTable {
  incident_id: string;
  status: string;
  score: number | null;
  camera: string | null;
  frame_file: string | null;
  detail: string | null;
  started_at: string;
  finished_at: string | null;
}

/** Verdicts kept in memory for the synchronous `incident.extend` hook (API, sockets, webhooks). */
const CACHE_MAX = 5_000;
/** How long "no verdict" is believed before the database is asked again (another node may verify). */
const MISS_TTL_MS = 2_000;

export function frameUrl(incidentId: string): string {
  return `/api/incidents/${encodeURIComponent(incidentId)}/verification/frame`;
}

/**
 * The `verifications` table (migration 70) on the data layer. Whichever node inserts the `pending`
 * row verifies (the others' inserts do nothing), so an alarm is verified once in a cluster.
 */
export class VerificationStore {
  private readonly cache = new Map<string, Verification>();
  private readonly misses = new Map<string, number>();

  constructor(
    private readonly k: Kysely<DB>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Marks an incident as being verified; false when it already has a row (verified once only). */
  async start(incidentId: string, at: string): Promise<boolean> {
    const r = await this.k
      .insertInto('verifications')
      .values({ incident_id: incidentId, status: 'pending', started_at: at })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async finish(
    incidentId: string,
    v: { status: VerificationStatus; score: number; camera: string | null; frameFile: string | null },
    cameras: CameraVerdict[],
    at: string,
  ): Promise<void> {
    await this.k
      .updateTable('verifications')
      .set({
        status: v.status,
        score: v.score,
        camera: v.camera,
        frame_file: v.frameFile,
        detail: JSON.stringify(cameras),
        finished_at: at,
      })
      .where('incident_id', '=', incidentId)
      .execute();
    this.cache.delete(incidentId);
    await this.get(incidentId);
  }

  async get(incidentId: string): Promise<Verification | undefined> {
    const r = await VERIFICATION.first(this.k, { id: incidentId });
    if (!r) {
      this.misses.set(incidentId, this.now());
      return undefined;
    }
    const v: Verification = {
      status: r.status as VerificationStatus,
      score: Number(r.score ?? 0),
      camera: r.camera,
      bestFrameUrl: r.frame_file ? frameUrl(r.incident_id) : null,
      ...(r.detail ? { cameras: JSON.parse(r.detail) as CameraVerdict[] } : {}),
      at: r.finished_at ?? r.started_at,
    };
    this.remember(incidentId, v);
    return v;
  }

  /**
   * The verdict as far as this node knows it, without waiting: what the synchronous `incident.extend`
   * hook adds to every pushed incident. A miss asks the database in the background (at most every
   * two seconds per incident), so a verdict another node wrote shows from the next push on.
   */
  cached(incidentId: string): Verification | undefined {
    const v = this.cache.get(incidentId);
    if (v) return v;
    const missed = this.misses.get(incidentId);
    if (missed === undefined || this.now() - missed > MISS_TTL_MS) {
      this.misses.set(incidentId, this.now());
      if (this.misses.size > CACHE_MAX) this.misses.delete(this.misses.keys().next().value as string);
      // Best effort: the REST route reads the database itself.
      this.get(incidentId).catch(() => undefined);
    }
    return undefined;
  }

  async frameFile(incidentId: string): Promise<string | undefined> {
    const r = await this.k
      .selectFrom('verifications')
      .select('frame_file')
      .where('incident_id', '=', incidentId)
      .executeTakeFirst();
    return r?.frame_file ?? undefined;
  }

  /** Incidents left pending by a crash: verified again on start. */
  async pending(): Promise<string[]> {
    const rows = await this.k
      .selectFrom('verifications')
      .select('incident_id')
      .where('status', '=', 'pending')
      .execute();
    return rows.map((r) => r.incident_id);
  }

  private remember(incidentId: string, v: Verification): void {
    this.misses.delete(incidentId);
    this.cache.delete(incidentId);
    this.cache.set(incidentId, v);
    if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
  }
}
