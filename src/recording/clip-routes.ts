import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Request, Router } from 'express';
import type { Run, SegmentIndex } from '../../streams/segment-index.js';
import { sanitizeName } from '../../streams/segment-paths.js';
import { visibleIncident } from '../api/incidents-routes.js';
import { requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { ExportService } from './export-service.js';
import type { RecordingStore } from './recording-store.js';
import { iso } from './route-helpers.js';

export interface ClipDeps {
  index: SegmentIndex;
  store: RecordingStore;
  exports: ExportService;
  clipsDir: string;
}

/** Seconds of `[from, to)` the runs cover: a clip's video duration (its wall span less the gaps). */
export function coveredSeconds(runs: readonly Run[], fromMs: number, toMs: number): number {
  let ms = 0;
  for (const r of runs) ms += Math.max(0, Math.min(r.endMs, toMs) - Math.max(r.startMs, fromMs));
  return Math.round(ms) / 1000;
}

/** Alarm clips (files), and an incident's footage at a glance: clips with duration and range, locks, bookmarks, exports. */
export function clipRoutes(svc: Service, d: ClipDeps): Router {
  const r = Router();
  const auth = requireUser(svc.need('auth'));
  const audit = svc.need('audit');
  r.use(['/api/clips', '/api/recordings/incident'], auth);

  const clipOf = async (req: Request) => {
    const user = userOf(req);
    const id = String(req.params['id']);
    const row = /^[0-9a-f-]{36}$/.test(id) ? await d.store.clip(id) : undefined;
    if (!row) throw new HttpError(404, 'not_found', `clip ${id} does not exist`);
    await visibleIncident(svc, user, row.incidentId).catch(() => {
      throw new HttpError(404, 'not_found', `clip ${id} does not exist`);
    });
    return { user, row, base: join(d.clipsDir, sanitizeName(row.incidentId), row.id) };
  };

  r.get(
    '/api/clips/:id',
    route(async (req, res) => {
      const { user, row, base } = await clipOf(req);
      if (!existsSync(`${base}.mp4`)) throw new HttpError(404, 'not_found', `clip ${row.id} has no file`);
      await audit.append({
        actor: user.username,
        action: 'footage.view',
        target: `clip:${row.id}`,
        detail: { incident: row.incidentId, camera: row.camera },
      });
      res.sendFile(`${base}.mp4`, { headers: { 'content-type': 'video/mp4', 'cache-control': 'no-store' } });
    }),
  );

  r.get(
    '/api/clips/:id/snapshot',
    route(async (req, res) => {
      const { user, row, base } = await clipOf(req);
      if (!existsSync(`${base}.jpg`)) throw new HttpError(404, 'not_found', `clip ${row.id} has no snapshot`);
      await audit.append({
        actor: user.username,
        action: 'footage.view',
        target: `clip:${row.id}`,
        detail: { snapshot: true },
      });
      res.sendFile(`${base}.jpg`, { headers: { 'content-type': 'image/jpeg', 'cache-control': 'no-store' } });
    }),
  );

  /**
   * An incident's footage for the investigation page: each alarm clip with its wall-clock range, its
   * video duration and the gaps inside it, the evidence locks (with range and duration), the
   * bookmarks, and the caller's exports of the incident.
   */
  r.get(
    '/api/recordings/incident/:id',
    route(async (req, res) => {
      const user = userOf(req);
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      const access = svc.need('access');
      const clips = [];
      for (const c of inc.clips ?? []) {
        if (!access.canSeeCamera(user, c.camera)) continue;
        const from = Date.parse(c.start);
        const to = Date.parse(c.end);
        const gaps = await d.index.gaps(c.camera, from, to);
        clips.push({
          id: c.url.split('/').pop(),
          camera: c.camera,
          url: c.url,
          snapshot: `${c.url}/snapshot`,
          start: c.start,
          end: c.end,
          duration: coveredSeconds(await d.index.runs(c.camera, from, to), from, to),
          gaps: gaps.map((g) => ({ start: iso(g.startMs), end: iso(g.endMs), reason: g.reason })),
          sha256: c.sha256,
        });
      }
      const locks = (await d.index.locks({ incidentId: inc.id }))
        .filter((l) => l.camera === null || access.canSeeCamera(user, l.camera))
        .map((l) => ({
          id: l.id,
          camera: l.camera,
          start: iso(l.startMs),
          end: iso(l.endMs),
          duration: (l.endMs - l.startMs) / 1000,
          reason: l.reason,
        }));
      const bookmarks = (await d.store.bookmarks({ incidentId: inc.id }))
        .filter((b) => access.canSeeCamera(user, b.camera))
        .map((b) => ({
          id: b.id,
          camera: b.camera,
          at: iso(b.atMs),
          to: b.endMs === null ? null : iso(b.endMs),
          note: b.note,
          by: b.createdBy,
          createdAt: b.createdAt,
        }));
      const exports = await d.exports.list({
        incident: inc.id,
        ...(user.role === 'admin' ? {} : { requestedBy: user.username }),
      });
      const cameras = [
        ...new Set([
          ...clips.map((c) => c.camera),
          ...svc
            .need('dir')
            .camerasOfSite(inc.site)
            .map((c) => c.id),
        ]),
      ].filter((c) => access.canSeeCamera(user, c));
      res.json({
        incident: inc.id,
        site: inc.site,
        openedAt: inc.openedAt,
        cameras,
        clips,
        locks,
        bookmarks,
        exports,
      });
    }),
  );
  return r;
}
