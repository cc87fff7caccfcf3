import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Request, Router } from 'express';
import { z } from 'zod';
import { footage, spawnConcat } from '../../streams/clip-assembler.js';
import type { SegmentIndex } from '../../streams/segment-index.js';
import { sanitizeName } from '../../streams/segment-paths.js';
import { visibleIncident } from '../api/incidents-routes.js';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import type { ExportService } from './export-service.js';

const cameraId = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/, 'a camera id (letters, digits, ".", "_", "-")');
const instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

const rangeQuery = z.strictObject({
  camera: cameraId,
  from: instant,
  to: instant,
  token: z.string().optional(),
});

const exportBody = z.strictObject({
  cameras: z.array(cameraId).min(1).max(16),
  from: instant,
  to: instant,
  reason: z.string().trim().min(3).max(500),
  incident: z.string().max(64).optional(),
});

export interface RecordingDeps {
  index: SegmentIndex;
  exports: ExportService;
  clipsDir: string;
  maxRangeMs: number;
}

/** Range checks shared by the timeline, playback and export: reversed and huge ranges are 400s. */
function checkRange(fromMs: number, toMs: number, maxMs: number): void {
  if (toMs <= fromMs) throw new HttpError(400, 'bad_range', '`to` must be after `from`');
  if (toMs - fromMs > maxMs)
    throw new HttpError(400, 'range_too_long', `a range may span at most ${maxMs / 1000} s`, {
      maxSeconds: maxMs / 1000,
    });
}

/** Unknown and out-of-scope cameras are the same 404, so scope leaks nothing. */
function visibleCamera(svc: Service, user: User, camera: string): void {
  if (!svc.need('access').canSeeCamera(user, camera))
    throw new HttpError(404, 'not_found', `camera ${camera} does not exist`);
}

const iso = (ms: number) => new Date(ms).toISOString();

export function recordingRoutes(svc: Service, d: RecordingDeps): Router {
  const r = Router();
  const auth = requireUser(svc.need('auth'));
  const audit = svc.need('audit');
  r.use(['/api/recordings', '/api/exports', '/api/clips'], auth);

  /** Timeline: segments and gaps of one camera over a range. */
  r.get(
    '/api/recordings',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(rangeQuery, req.query, 'query');
      visibleCamera(svc, user, q.camera);
      checkRange(q.from, q.to, d.maxRangeMs);
      const segments = d.index.segments(q.camera, q.from, q.to);
      res.json({
        camera: q.camera,
        from: iso(q.from),
        to: iso(q.to),
        segments: segments.map((s) => ({ start: iso(s.startMs), end: iso(s.endMs), bytes: s.bytes })),
        gaps: d.index
          .gaps(q.camera, q.from, q.to)
          .map((g) => ({ start: iso(g.startMs), end: iso(g.endMs), reason: g.reason })),
        playback: `/api/recordings/play?camera=${encodeURIComponent(q.camera)}&from=${iso(q.from)}&to=${iso(q.to)}`,
      });
    }),
  );

  /**
   * Playback: the range's segments joined by the concat demuxer with `-c copy` and streamed as one
   * fragmented MP4 that a `<video>` element plays as it arrives (add `&token=` for a video src).
   */
  r.get(
    '/api/recordings/play',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(rangeQuery, req.query, 'query');
      visibleCamera(svc, user, q.camera);
      checkRange(q.from, q.to, d.maxRangeMs);
      const segs = footage(d.index, q.camera, q.from, q.to);
      if (segs.length === 0)
        throw new HttpError(
          404,
          'no_footage',
          `camera ${q.camera} has no footage between ${iso(q.from)} and ${iso(q.to)}`,
        );
      audit.append({
        actor: user.username,
        action: 'footage.view',
        target: `camera:${q.camera}`,
        detail: { from: iso(q.from), to: iso(q.to), segments: segs.length },
      });
      const proc = spawnConcat(segs, [
        '-f',
        'mp4',
        '-movflags',
        'frag_keyframe+empty_moov+default_base_moof',
        'pipe:1',
      ]);
      res.status(200).type('video/mp4').setHeader('cache-control', 'no-store');
      proc.stdout.pipe(res);
      proc.stderr.resume();
      res.once('close', () => proc.kill('SIGKILL'));
      await new Promise((resolve) => proc.once('close', resolve));
    }),
  );

  const clipOf = async (req: Request) => {
    const user = userOf(req);
    const id = String(req.params['id']);
    const row = /^[0-9a-f-]{36}$/.test(id)
      ? (svc.need('store').db.prepare('SELECT id, incident_id, camera FROM clips WHERE id = ?').get(id) as
          | { id: string; incident_id: string; camera: string }
          | undefined)
      : undefined;
    if (!row) throw new HttpError(404, 'not_found', `clip ${id} does not exist`);
    await visibleIncident(svc, user, row.incident_id).catch(() => {
      throw new HttpError(404, 'not_found', `clip ${id} does not exist`);
    });
    return { user, row, base: join(d.clipsDir, sanitizeName(row.incident_id), row.id) };
  };

  r.get(
    '/api/clips/:id',
    route(async (req, res) => {
      const { user, row, base } = await clipOf(req);
      if (!existsSync(`${base}.mp4`)) throw new HttpError(404, 'not_found', `clip ${row.id} has no file`);
      audit.append({
        actor: user.username,
        action: 'footage.view',
        target: `clip:${row.id}`,
        detail: { incident: row.incident_id, camera: row.camera },
      });
      res.sendFile(`${base}.mp4`, { headers: { 'content-type': 'video/mp4', 'cache-control': 'no-store' } });
    }),
  );

  r.get(
    '/api/clips/:id/snapshot',
    route(async (req, res) => {
      const { user, row, base } = await clipOf(req);
      if (!existsSync(`${base}.jpg`)) throw new HttpError(404, 'not_found', `clip ${row.id} has no snapshot`);
      audit.append({
        actor: user.username,
        action: 'footage.view',
        target: `clip:${row.id}`,
        detail: { snapshot: true },
      });
      res.sendFile(`${base}.jpg`, { headers: { 'content-type': 'image/jpeg', 'cache-control': 'no-store' } });
    }),
  );

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
      const empty = cameras.filter((c) => footage(d.index, c, b.from, b.to).length === 0);
      if (empty.length > 0)
        throw new HttpError(
          422,
          'no_footage',
          `no footage between ${iso(b.from)} and ${iso(b.to)} for ${empty.join(', ')}`,
          {
            cameras: empty,
          },
        );
      const id = d.exports.create({
        cameras,
        fromMs: b.from,
        toMs: b.to,
        reason: b.reason,
        incident: b.incident,
        exportedBy: { username: user.username, role: user.role, scope: user.scope },
      });
      // The source segments named in the manifest stay on disk as long as the export may be checked.
      for (const camera of cameras)
        d.index.lock({
          incidentId: b.incident ?? null,
          camera,
          startMs: b.from,
          endMs: b.to,
          reason: `export ${id}`,
          createdBy: user.username,
        });
      audit.append({
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

  const ownExport = (req: Request) => {
    const user = userOf(req);
    const id = String(req.params['id']);
    const st = d.exports.get(id);
    // Another user's export is a 404: only the requester (or an admin) sees it.
    if (!st || (st.requestedBy !== user.username && user.role !== 'admin'))
      throw new HttpError(404, 'not_found', `export ${id} does not exist`);
    return { user, st };
  };

  r.get(
    '/api/exports/:id',
    route(async (req, res) => {
      const { st } = ownExport(req);
      res.json(st);
    }),
  );

  r.get(
    '/api/exports/:id/download',
    route(async (req, res) => {
      const { user, st } = ownExport(req);
      const file = d.exports.file(st.id);
      if (!file) throw new HttpError(409, 'not_ready', `export ${st.id} is ${st.state}`);
      audit.append({ actor: user.username, action: 'footage.export.download', target: `export:${st.id}` });
      res.download(file, `sharpeyes-export-${st.id}.zip`);
    }),
  );
  return r;
}
