import { Router } from 'express';
import { z } from 'zod';
import type { SegmentIndex } from '../../streams/segment-index.js';
import { visibleIncident } from '../api/incidents-routes.js';
import { parse, requireRole, requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { Bookmark, RecordingStore } from './recording-store.js';
import { cameraId, cameraList, checkRange, instant, iso, visibleCamera } from './route-helpers.js';

const createBody = z.strictObject({
  camera: cameraId,
  at: instant,
  to: instant.optional(),
  note: z.string().trim().min(1).max(1000),
  incident: z.string().min(1).max(64).optional(),
});

const listQuery = z.union([
  z.strictObject({ incident: z.string().min(1).max(64), token: z.string().optional() }),
  z.strictObject({ cameras: cameraList, from: instant, to: instant, token: z.string().optional() }),
]);

/** Footage around a bookmark of an incident is kept (evidence lock) this far either side. */
const LOCK_MARGIN_MS = 30_000;
const MAX_BOOKMARK_MS = 24 * 3_600_000;

const json = (b: Bookmark) => ({
  id: b.id,
  camera: b.camera,
  at: iso(b.atMs),
  to: b.endMs === null ? null : iso(b.endMs),
  note: b.note,
  incident: b.incidentId,
  by: b.createdBy,
  createdAt: b.createdAt,
});

/**
 * Bookmarks: a moment or a range of a camera with a note. One that names an incident is kept with it
 * (listed with the incident's footage) and its footage is locked as evidence of that incident.
 */
export function bookmarkRoutes(svc: Service, d: { index: SegmentIndex; store: RecordingStore }): Router {
  const r = Router();
  const audit = svc.need('audit');
  r.use(
    '/api/bookmarks',
    requireUser(svc.need('auth')),
    requireRole('investigator', 'operator', 'supervisor', 'admin'),
  );

  r.get(
    '/api/bookmarks',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(listQuery, req.query, 'query');
      const access = svc.need('access');
      let marks: Bookmark[];
      if ('incident' in q) {
        await visibleIncident(svc, user, q.incident);
        marks = (await d.store.bookmarks({ incidentId: q.incident })).filter((b) =>
          access.canSeeCamera(user, b.camera),
        );
      } else {
        for (const c of q.cameras) visibleCamera(svc, user, c);
        checkRange(q.from, q.to, 31 * 86_400_000);
        marks = await d.store.bookmarks({ cameras: q.cameras, fromMs: q.from, toMs: q.to });
      }
      res.json({ bookmarks: marks.map(json) });
    }),
  );

  r.post(
    '/api/bookmarks',
    route(async (req, res) => {
      const user = userOf(req);
      const b = parse(createBody, req.body ?? {});
      visibleCamera(svc, user, b.camera);
      if (b.to !== undefined) checkRange(b.at, b.to, MAX_BOOKMARK_MS);
      if (b.incident) await visibleIncident(svc, user, b.incident);
      const mark = await d.store.addBookmark({
        camera: b.camera,
        atMs: b.at,
        endMs: b.to ?? null,
        note: b.note,
        incidentId: b.incident ?? null,
        createdBy: user.username,
      });
      if (b.incident)
        await d.index.lock({
          incidentId: b.incident,
          camera: b.camera,
          startMs: b.at - LOCK_MARGIN_MS,
          endMs: (b.to ?? b.at) + LOCK_MARGIN_MS,
          reason: `bookmark ${mark.id}`,
          createdBy: user.username,
        });
      await audit.append({
        actor: user.username,
        action: 'footage.bookmark',
        target: `camera:${b.camera}`,
        detail: {
          bookmark: mark.id,
          at: iso(b.at),
          ...(b.to ? { to: iso(b.to) } : {}),
          incident: b.incident ?? null,
          note: b.note,
        },
      });
      res.status(201).json(json(mark));
    }),
  );

  r.delete(
    '/api/bookmarks/:id',
    route(async (req, res) => {
      const user = userOf(req);
      const id = String(req.params['id']);
      const mark = /^[0-9a-f-]{36}$/.test(id) ? await d.store.bookmark(id) : undefined;
      if (!mark || !svc.need('access').canSeeCamera(user, mark.camera))
        throw new HttpError(404, 'not_found', `bookmark ${id} does not exist`);
      // Someone else's note on a case is theirs to remove, or a supervisor's.
      if (mark.createdBy !== user.username && user.role !== 'supervisor' && user.role !== 'admin')
        throw new HttpError(403, 'forbidden', 'only its author or a supervisor can remove a bookmark');
      // Removed from two desks at once (or two nodes): the one whose delete found it says so; the
      // other is told it is gone, and the audit log has one removal.
      if (!(await d.store.removeBookmark(id)))
        throw new HttpError(404, 'not_found', `bookmark ${id} does not exist`);
      await audit.append({
        actor: user.username,
        action: 'footage.bookmark.remove',
        target: `camera:${mark.camera}`,
        detail: { bookmark: id, incident: mark.incidentId, note: mark.note },
      });
      res.json({ id, removed: true });
    }),
  );
  return r;
}
