import { readFile } from 'node:fs/promises';
import { Router } from 'express';
import { z } from 'zod';
import { rebaseSegmentFile } from '../../streams/fmp4-rebase.js';
import type { PlaybackHolds } from '../../streams/playback-holds.js';
import type { KeptFootage } from '../../streams/purged-footage.js';
import type { SegmentIndex } from '../../streams/segment-index.js';
import { resolveInside } from '../../streams/segment-paths.js';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { PlaybackViews } from './playback-views.js';
import { rangePlayback } from './range-playback.js';
import type { RecordingStore } from './recording-store.js';
import { checkRange, iso, rangeQuery, visibleCamera } from './route-helpers.js';

export interface RecordingDeps {
  index: SegmentIndex;
  store: RecordingStore;
  views: PlaybackViews;
  /** What a range playback holds while it streams, so retention does not cut it short. */
  holds: PlaybackHolds;
  maxRangeMs: number;
}

/** A camera's retention boundary as the timeline routes say it (ISO times; null: none). */
const keptIso = (k: KeptFootage) => ({
  oldestKept: k.oldestKeptMs === null ? null : iso(k.oldestKeptMs),
  purgedFrom: k.purgedFromMs === null ? null : iso(k.purgedFromMs),
  purgedUntil: k.purgedUntilMs === null ? null : iso(k.purgedUntilMs),
});

const segmentQuery = z.strictObject({ view: z.uuid(), token: z.string().optional() });

/** Longest window one playback index covers (the player asks again as the playhead moves). */
const INDEX_WINDOW_MS = 2 * 3_600_000;
/** Longest range one timeline request covers (runs, gaps and markers are few per day). */
const TIMELINE_MS = 31 * 86_400_000;

/**
 * Timeline and playback (issue 14). The player never makes the server transcode or concatenate: it
 * reads an audited index of a window (`/api/recordings/index`), then fetches the recorded segments as
 * they are (`/api/recordings/segments/:id?view=`), each a self-contained fMP4 starting at a keyframe
 * and at time zero, and places them on its own wall-clock timeline with MSE.
 */
export function recordingRoutes(svc: Service, d: RecordingDeps): Router {
  const r = Router();
  const auth = requireUser(svc.need('auth'));
  const audit = svc.need('audit');
  r.use('/api/recordings', auth);

  /** Segments and gaps of one camera over a range (issue 6 contract), with the runs they form. */
  r.get(
    '/api/recordings',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(rangeQuery, req.query, 'query');
      visibleCamera(svc, user, q.camera);
      checkRange(q.from, q.to, d.maxRangeMs);
      const segments = await d.index.segments(q.camera, q.from, q.to);
      res.json({
        camera: q.camera,
        from: iso(q.from),
        to: iso(q.to),
        segments: segments.map((s) => ({ start: iso(s.startMs), end: iso(s.endMs), bytes: s.bytes })),
        runs: (await d.index.runs(q.camera, q.from, q.to)).map((x) => ({
          start: iso(x.startMs),
          end: iso(x.endMs),
        })),
        gaps: (await d.index.gaps(q.camera, q.from, q.to)).map((g) => ({
          start: iso(g.startMs),
          end: iso(g.endMs),
          reason: g.reason,
        })),
        playback: `/api/recordings/play?camera=${encodeURIComponent(q.camera)}&from=${iso(q.from)}&to=${iso(q.to)}`,
        retention: keptIso(await d.index.kept(q.camera)),
      });
    }),
  );

  /** What a timeline draws over hours or days: recorded runs, gaps, alarm/motion markers, bookmarks. */
  r.get(
    '/api/recordings/timeline',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(rangeQuery, req.query, 'query');
      visibleCamera(svc, user, q.camera);
      checkRange(q.from, q.to, TIMELINE_MS);
      const site = svc.need('dir').camera(q.camera)?.site ?? '';
      const [runs, gaps, markers, bookmarks, kept] = await Promise.all([
        d.index.runs(q.camera, q.from, q.to),
        d.index.gaps(q.camera, q.from, q.to),
        d.store.markers(q.camera, site, q.from, q.to),
        d.store.bookmarks({ cameras: [q.camera], fromMs: q.from, toMs: q.to }),
        d.index.kept(q.camera),
      ]);
      res.json({
        camera: q.camera,
        from: iso(q.from),
        to: iso(q.to),
        runs: runs.map((x) => ({ start: iso(x.startMs), end: iso(x.endMs) })),
        gaps: gaps.map((g) => ({ start: iso(g.startMs), end: iso(g.endMs), reason: g.reason })),
        markers: markers.map((m) => ({
          at: iso(m.atMs),
          kind: m.kind,
          type: m.type,
          device: m.device,
          zone: m.zone,
          incident: m.incidentId,
        })),
        bookmarks: bookmarks.map((b) => ({
          id: b.id,
          at: iso(b.atMs),
          to: b.endMs === null ? null : iso(b.endMs),
          note: b.note,
          incident: b.incidentId,
          by: b.createdBy,
        })),
        // The camera's retention boundary, wherever it lies: holes inside the purged stretch were
        // recorded and are gone; the player draws and names them so, not as "no recording".
        retention: keptIso(kept),
      });
    }),
  );

  /**
   * The segment index of a playback window, audited as a view of the footage (`footage.view`). Each
   * segment's URL carries the view id; the keyframe offsets let the player step and play backwards.
   */
  r.get(
    '/api/recordings/index',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(rangeQuery, req.query, 'query');
      visibleCamera(svc, user, q.camera);
      checkRange(q.from, q.to, INDEX_WINDOW_MS);
      const segments = await d.index.segments(q.camera, q.from, q.to);
      const gaps = await d.index.gaps(q.camera, q.from, q.to);
      const kept = await d.index.kept(q.camera);
      const view = d.views.open({ username: user.username, camera: q.camera, fromMs: q.from, toMs: q.to });
      await audit.append({
        actor: user.username,
        action: 'footage.view',
        target: `camera:${q.camera}`,
        detail: {
          from: iso(q.from),
          to: iso(q.to),
          segments: segments.length,
          via: 'playback',
          view: view.id,
        },
      });
      res.json({
        camera: q.camera,
        from: iso(q.from),
        to: iso(q.to),
        view: view.id,
        segments: segments.map((s) => ({
          id: s.id,
          start: s.startMs,
          end: s.endMs,
          bytes: s.bytes,
          frames: s.frames,
          keyframes: s.keyframes,
          codec: s.codec,
          url: `/api/recordings/segments/${s.id}?view=${view.id}`,
        })),
        gaps: gaps.map((g) => ({ start: g.startMs, end: g.endMs, reason: g.reason })),
        retention: {
          oldestKept: kept.oldestKeptMs,
          purgedFrom: kept.purgedFromMs,
          purgedUntil: kept.purgedUntilMs,
        },
      });
    }),
  );

  /** One recorded segment, as recorded (rebased to zero first if it predates issue 14). */
  r.get(
    '/api/recordings/segments/:id',
    route(async (req, res) => {
      const user = userOf(req);
      const id = Number(req.params['id']);
      const seg = Number.isSafeInteger(id) && id > 0 ? await d.index.segmentById(id) : undefined;
      if (!seg) {
        // A segment the user's own live view listed and the index no longer has was taken out of it
        // since (retention, or a start-up reconcile that found its file gone): the player says so
        // instead of stalling at the hole. Anyone else gets the 404 an unknown id gets.
        const v = segmentQuery.safeParse(req.query);
        if (v.success && d.views.owns(v.data.view, user.username))
          throw new HttpError(
            404,
            'purged',
            `segment ${id} is no longer kept: recording retention purged it (past its retention period, or to free disk space)`,
          );
        throw new HttpError(404, 'not_found', `segment ${req.params['id']} does not exist`);
      }
      if (!svc.need('access').canSeeCamera(user, seg.camera))
        throw new HttpError(404, 'not_found', `segment ${req.params['id']} does not exist`);
      const q = parse(segmentQuery, req.query, 'query');
      if (!d.views.allows(q.view, user.username, seg.camera, seg.startMs, seg.endMs))
        throw new HttpError(403, 'view_expired', 'open the recording again: this playback view has expired');
      const file = resolveInside(seg.storage, seg.path);
      res.setHeader('cache-control', 'no-store');
      if (seg.zeroBased) {
        res.sendFile(file, { headers: { 'content-type': 'video/mp4' } }, (err) => {
          if (err && !res.headersSent)
            res.status(404).json({ error: { code: 'no_file', message: `segment ${seg.id} has no file` } });
        });
        return;
      }
      const data = await readFile(file).catch(() => undefined);
      if (!data) throw new HttpError(404, 'no_file', `segment ${seg.id} has no file`);
      rebaseSegmentFile(data);
      res.type('video/mp4').send(data);
    }),
  );

  r.get('/api/recordings/play', rangePlayback(svc, d));
  return r;
}
