import { pipeline } from 'node:stream/promises';
import { type Request, Router } from 'express';
import { z } from 'zod';
import type { SegmentIndex } from '../../streams/segment-index.js';
import { visibleIncident } from '../api/incidents-routes.js';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { ExportService } from './export-service.js';
import { cameraId, checkRange, instant, iso, visibleCamera } from './route-helpers.js';

const exportBody = z.strictObject({
  cameras: z.array(cameraId).min(1).max(16),
  from: instant,
  to: instant,
  reason: z.string().trim().min(3).max(500),
  incident: z.string().max(64).optional(),
});

const listQuery = z.strictObject({
  incident: z.string().min(1).max(64).optional(),
  token: z.string().optional(),
});

/** Evidence exports (issue 6): request, list, status, download. Only the requester (or an admin) sees one. */
export function exportRoutes(
  svc: Service,
  d: { index: SegmentIndex; exports: ExportService; maxRangeMs: number },
): Router {
  const r = Router();
  const audit = svc.need('audit');
  r.use('/api/exports', requireUser(svc.need('auth')));

  r.post(
    '/api/exports',
    route(async (req, res) => {
      const user = userOf(req);
      if (user.role === 'site') throw new HttpError(403, 'forbidden', 'role site cannot export footage');
      const b = parse(exportBody, req.body ?? {});
      const cameras = [...new Set(b.cameras)];
      for (const c of cameras) visibleCamera(svc, user, c);
      checkRange(b.from, b.to, d.maxRangeMs);
      if (b.incident) await visibleIncident(svc, user, b.incident);
      const empty: string[] = [];
      for (const c of cameras) if ((await d.index.runs(c, b.from, b.to, 1)).length === 0) empty.push(c);
      if (empty.length > 0)
        throw new HttpError(
          422,
          'no_footage',
          `no footage between ${iso(b.from)} and ${iso(b.to)} for ${empty.join(', ')}`,
          {
            cameras: empty,
          },
        );
      const id = await d.exports.create({
        cameras,
        fromMs: b.from,
        toMs: b.to,
        reason: b.reason,
        incident: b.incident,
        exportedBy: { username: user.username, role: user.role, scope: user.scope },
      });
      // The source segments named in the manifest stay on disk as long as the export may be checked.
      for (const camera of cameras)
        await d.index.lock({
          incidentId: b.incident ?? null,
          camera,
          startMs: b.from,
          endMs: b.to,
          reason: `export ${id}`,
          createdBy: user.username,
        });
      await audit.append({
        actor: user.username,
        action: 'footage.export',
        target: `export:${id}`,
        detail: {
          cameras,
          from: iso(b.from),
          to: iso(b.to),
          reason: b.reason,
          ...(b.incident ? { incident: b.incident } : {}),
        },
      });
      res.status(202).json({ id });
    }),
  );

  /** The caller's exports (an admin's: everyone's), optionally of one incident, newest first. */
  r.get(
    '/api/exports',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(listQuery, req.query, 'query');
      if (q.incident) await visibleIncident(svc, user, q.incident);
      res.json({
        exports: await d.exports.list({
          ...(q.incident ? { incident: q.incident } : {}),
          ...(user.role === 'admin' ? {} : { requestedBy: user.username }),
        }),
      });
    }),
  );

  const ownExport = async (req: Request) => {
    const user = userOf(req);
    const id = String(req.params['id']);
    const st = await d.exports.get(id);
    // Another user's export is a 404: only the requester (or an admin) sees it.
    if (!st || (st.requestedBy !== user.username && user.role !== 'admin'))
      throw new HttpError(404, 'not_found', `export ${id} does not exist`);
    return { user, st };
  };

  r.get(
    '/api/exports/:id',
    route(async (req, res) => {
      const { st } = await ownExport(req);
      res.json(st);
    }),
  );

  r.get(
    '/api/exports/:id/download',
    route(async (req, res) => {
      const { user, st } = await ownExport(req);
      if (st.state !== 'done') throw new HttpError(409, 'not_ready', `export ${st.id} is ${st.state}`);
      // Opened before the audit row and streamed from the open file: retention removing the zip in
      // between (another node's, or this one's) neither truncates the download nor leaves a row for
      // a download that served nothing.
      const opened = await d.exports.open(st.id);
      if (opened === 'not_done' || opened === 'gone')
        throw new HttpError(
          410,
          'export_gone',
          `export ${st.id} is no longer kept (removed by export retention): request the export again`,
        );
      const { zip, size, modified } = opened;
      // A download resumed where it broke off (a browser's, a download manager's): one byte range,
      // honoured unless the zip changed since (If-Range, by its date or its tag), as express's
      // res.download did; the tag is the one it sent (weak, of the size and the time).
      const lastModified = modified.toUTCString();
      const etag = `W/"${size.toString(16)}-${modified.getTime().toString(16)}"`;
      const ifRange = req.headers['if-range'];
      const asked =
        ifRange === undefined || ifRange === lastModified || ifRange === etag ? req.range(size) : undefined;
      if (asked === -1) {
        await zip.close();
        res.setHeader('content-range', `bytes */${size}`);
        throw new HttpError(
          416,
          'range_not_satisfiable',
          `the export is ${size} bytes: the range asked for is not in it`,
        );
      }
      const part =
        Array.isArray(asked) && asked.type === 'bytes' && asked.length === 1 ? asked[0] : undefined;
      try {
        await audit.append({
          actor: user.username,
          action: 'footage.export.download',
          target: `export:${st.id}`,
          ...(part ? { detail: { range: `${part.start}-${part.end}` } } : {}),
        });
      } catch (err) {
        await zip.close();
        throw err;
      }
      res.attachment(`sharpeyes-export-${st.id}.zip`);
      res.setHeader('accept-ranges', 'bytes');
      res.setHeader('last-modified', lastModified);
      res.setHeader('etag', etag);
      res.setHeader('cache-control', 'no-store');
      if (part) {
        res.status(206);
        res.setHeader('content-range', `bytes ${part.start}-${part.end}/${size}`);
        res.setHeader('content-length', String(part.end - part.start + 1));
      } else res.setHeader('content-length', String(size));
      const body = part ? zip.createReadStream({ start: part.start, end: part.end }) : zip.createReadStream();
      try {
        await pipeline(body, res);
      } catch (err) {
        // Tolerated: the desk closed the connection mid-download (the row says it was asked for).
        svc.log.info({ err, export: st.id }, 'recording: export download ended early');
      }
    }),
  );
  return r;
}
