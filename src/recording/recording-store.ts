import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../store/db-types.js';
import type { RecordingBookmarksTable } from './recording-tables.js';

/** An investigator's mark on a camera's timeline: a moment (`endMs` null) or a range, with a note. */
export interface Bookmark {
  id: string;
  camera: string;
  atMs: number;
  endMs: number | null;
  note: string;
  incidentId: string | null;
  createdBy: string;
  createdAt: string;
}

/** Something to mark on a timeline: an alarm of the camera's site, or the camera's own analytics. */
export interface Marker {
  atMs: number;
  kind: 'alarm' | 'motion' | 'video';
  type: string;
  device: string;
  zone: string | null;
  incidentId: string | null;
}

const ALARM_TYPES = new Set(['panic', 'intrusion', 'fire', 'duress', 'medical', 'tamper']);
const MOTION_TYPES = new Set(['motion', 'person', 'vehicle', 'plate']);
const VIDEO_TYPES = new Set(['video_loss', 'video_restore']);

const toBookmark = (r: Selectable<RecordingBookmarksTable>): Bookmark => ({
  id: r.id,
  camera: r.camera,
  atMs: Number(r.at_ms),
  endMs: r.end_ms === null ? null : Number(r.end_ms),
  note: r.note,
  incidentId: r.incident_id,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

/**
 * The investigation side of recording (issue 14): bookmarks (migration 042) and the alarm and motion
 * markers a timeline shows, read from the core's `events` and `incident_events` tables. Parameterised,
 * portable SQL behind async methods, for the data layer.
 */
export class RecordingStore {
  constructor(private readonly k: Kysely<DB>) {}

  async addBookmark(b: Omit<Bookmark, 'id' | 'createdAt'>): Promise<Bookmark> {
    const row: Bookmark = { ...b, id: randomUUID(), createdAt: new Date().toISOString() };
    await this.k
      .insertInto('recording_bookmarks')
      .values({
        id: row.id,
        camera: row.camera,
        at_ms: row.atMs,
        end_ms: row.endMs,
        note: row.note,
        incident_id: row.incidentId,
        created_by: row.createdBy,
        created_at: row.createdAt,
      })
      .execute();
    return row;
  }

  async bookmark(id: string): Promise<Bookmark | undefined> {
    const r = await this.k
      .selectFrom('recording_bookmarks')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toBookmark(r) : undefined;
  }

  /** Bookmarks of some cameras over a range, or of an incident, oldest first. */
  async bookmarks(
    f: { cameras: string[]; fromMs: number; toMs: number } | { incidentId: string },
    limit = 1000,
  ): Promise<Bookmark[]> {
    let q = this.k.selectFrom('recording_bookmarks').selectAll();
    if ('incidentId' in f) q = q.where('incident_id', '=', f.incidentId);
    else {
      if (f.cameras.length === 0) return [];
      q = q
        .where('camera', 'in', f.cameras)
        .where('at_ms', '<', f.toMs)
        .where((eb) => eb(eb.fn.coalesce('end_ms', 'at_ms'), '>=', f.fromMs));
    }
    const rows = await q.orderBy('at_ms').limit(limit).execute();
    return rows.map(toBookmark);
  }

  /** An alarm clip's row (core table `clips`). */
  async clip(id: string): Promise<{ id: string; incidentId: string; camera: string } | undefined> {
    const r = await this.k
      .selectFrom('clips')
      .select(['id', 'incident_id', 'camera'])
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? { id: r.id, incidentId: r.incident_id, camera: r.camera } : undefined;
  }

  async removeBookmark(id: string): Promise<boolean> {
    const r = await this.k.deleteFrom('recording_bookmarks').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * Markers for a camera's timeline: the alarms of its site (panel and SIA events of alarm types) and
   * its own motion/analytics and video-loss events, with the incident each joined.
   */
  async markers(camera: string, site: string, fromMs: number, toMs: number, limit = 2000): Promise<Marker[]> {
    const rows = await this.k
      .selectFrom('events as e')
      .leftJoin('incident_events as ie', 'ie.event_key', 'e.key')
      .select((eb) => [
        'e.device',
        'e.type',
        'e.zone',
        'e.received_at',
        eb.fn.min<string | null>('ie.incident_id').as('incident_id'),
      ])
      .where('e.site', '=', site)
      .where('e.received_at', '>=', new Date(fromMs).toISOString())
      .where('e.received_at', '<', new Date(toMs).toISOString())
      .groupBy(['e.key', 'e.device', 'e.type', 'e.zone', 'e.received_at'])
      .orderBy('e.received_at')
      .limit(limit * 4)
      .execute();
    const out: Marker[] = [];
    for (const r of rows) {
      const kind = ALARM_TYPES.has(r.type)
        ? 'alarm'
        : r.device !== camera
          ? undefined
          : MOTION_TYPES.has(r.type)
            ? 'motion'
            : VIDEO_TYPES.has(r.type)
              ? 'video'
              : undefined;
      if (!kind) continue;
      out.push({
        atMs: Date.parse(r.received_at),
        kind,
        type: r.type,
        device: r.device,
        zone: r.zone,
        incidentId: r.incident_id,
      });
      if (out.length >= limit) break;
    }
    return out;
  }
}
