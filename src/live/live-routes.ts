import { Router } from 'express';
import { z } from 'zod';
import { type LiveSnapshots, SnapshotError } from '../../streams/live-snapshot.js';
import type { UpstreamHub } from '../../streams/upstream-hub.js';
import { visibleIncident } from '../api/incidents-routes.js';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import { sendSliced } from '../api/sliced-json.js';
import type { CameraConfig } from '../config/sections/cameras.js';
import type { Incident } from '../core/incident-types.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';

export interface LiveCamera {
  id: string;
  name: string;
  site: string;
  siteName: string;
  jurisdiction: string;
  status: ReturnType<UpstreamHub['status']>;
}

/** Incident colour by priority (1 most urgent); the wall paints a linked tile's border with it. */
export const PRIORITY_COLOURS: Record<number, string> = {
  1: '#e53935',
  2: '#fb8c00',
  3: '#fdd835',
  4: '#1e88e5',
};

const frameQuery = z.strictObject({
  stream: z.enum(['sub', 'main']).default('sub'),
  token: z.string().optional(),
  t: z.string().max(20).optional().describe('Cache buster.'),
});

/** Cameras linked to an incident: its zones' cameras (with their preset), else every site camera. */
export function incidentCameras(svc: Service, inc: Incident): { camera: string; preset?: number }[] {
  const dir = svc.need('dir');
  const out = new Map<string, { camera: string; preset?: number }>();
  for (const e of inc.events) {
    if (dir.camera(e.device)) out.set(e.device, { camera: e.device });
    const panel = dir.panel(e.device);
    if (!panel) continue;
    const preset = e.zone !== undefined ? panel.zones[e.zone]?.preset : undefined;
    for (const c of dir.camerasForZone(e.device, e.zone)) {
      if (!out.has(c.id)) out.set(c.id, preset !== undefined ? { camera: c.id, preset } : { camera: c.id });
    }
  }
  if (out.size === 0) for (const c of dir.camerasOfSite(inc.site)) out.set(c.id, { camera: c.id });
  return [...out.values()];
}

/**
 * REST for the wall: scoped camera list and tree, the cameras of an incident, and the JPEG
 * fallback. Out-of-scope cameras and incidents answer 404.
 */
export function liveRoutes(svc: Service, hub: UpstreamHub, snapshots: LiveSnapshots): Router {
  const r = Router();
  const auth = requireUser(svc.need('auth'));
  const access = svc.need('access');
  const dir = svc.need('dir');
  const audit = svc.need('audit');
  const badRequests = svc.metrics.counter('sharpeyes_live_bad_requests_total', 'Live REST requests refused', [
    'code',
  ]);
  /** A JPEG poll every second must not flood the audit log: one entry per user, camera and 5 minutes. */
  const audited = new Map<string, number>();

  const describe = (c: CameraConfig): LiveCamera => {
    const site = dir.site(c.site);
    return {
      id: c.id,
      name: c.name ?? c.id,
      site: c.site,
      siteName: site?.name ?? c.site,
      jurisdiction: site?.jurisdiction ?? '',
      status: hub.status(c.id),
    };
  };
  const visible = (user: User) => dir.allCameras().filter((c) => access.canSeeCamera(user, c.id));

  r.get(
    '/api/live/cameras',
    auth,
    route(async (req, res) => {
      const site = typeof req.query['site'] === 'string' ? req.query['site'] : undefined;
      const cams = visible(userOf(req)).filter((c) => !site || c.site === site);
      // A district's thousands of cameras: built and sent a slice at a time (sendSliced).
      await sendSliced(res, {}, 'cameras', cams, describe);
    }),
  );

  r.get(
    '/api/live/tree',
    auth,
    route((req, res) => {
      const user = userOf(req);
      const cams = visible(user);
      const sites = new Map<string, CameraConfig[]>();
      for (const c of cams) sites.set(c.site, [...(sites.get(c.site) ?? []), c]);
      type Node = { id: string; name: string; kind: string; children: Node[]; camera?: LiveCamera };
      const siteNode = (id: string): Node => ({
        id,
        name: dir.site(id)?.name ?? id,
        kind: 'site',
        children: (sites.get(id) ?? []).map((c) => ({
          id: c.id,
          name: c.name ?? c.id,
          kind: 'camera',
          children: [],
          camera: describe(c),
        })),
      });
      const tree = dir.tree;
      const jur = (id: string): Node | undefined => {
        const children = [
          ...tree.children(id).flatMap((k) => jur(k) ?? []),
          ...[...sites.keys()].filter((s) => dir.site(s)?.jurisdiction === id).map(siteNode),
        ];
        if (children.length === 0) return undefined;
        return { id, name: tree.get(id)?.name ?? id, kind: 'jurisdiction', children };
      };
      const roots =
        user.role === 'site'
          ? [...sites.keys()].map(siteNode)
          : [user.scope].filter((s) => tree.has(s)).flatMap((s) => jur(s) ?? []);
      res.json({ roots });
    }),
  );

  r.get(
    '/api/incidents/:id/cameras',
    auth,
    route(async (req, res) => {
      const user = userOf(req);
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      const cams = incidentCameras(svc, inc).filter((c) => access.canSeeCamera(user, c.camera));
      res.json({
        incident: inc.id,
        colour: PRIORITY_COLOURS[inc.priority] ?? '#e53935',
        cameras: cams.map((c) => ({ ...c, ...describe(dir.camera(c.camera) as CameraConfig) })),
      });
    }),
  );

  r.get(
    '/api/live/:camera/frame.jpg',
    auth,
    route(async (req, res) => {
      const user = userOf(req);
      const camera = String(req.params['camera']);
      const q = parse(frameQuery, req.query, 'query');
      if (!access.canSeeCamera(user, camera)) {
        badRequests.inc({ code: 'not_found' });
        throw new HttpError(404, 'not_found', `camera ${camera} does not exist`);
      }
      const key = `${user.id}/${camera}`;
      const now = Date.now();
      if ((audited.get(key) ?? 0) < now - 5 * 60_000) {
        audited.set(key, now);
        await audit.append({
          actor: user.username,
          action: 'footage.live',
          target: `camera:${camera}`,
          detail: { stream: q.stream, format: 'jpeg' },
        });
      }
      try {
        const { jpeg, wallclock } = await snapshots.jpeg(camera, q.stream, `jpeg:${user.username}`);
        res.set({
          'content-type': 'image/jpeg',
          'cache-control': 'no-store',
          'x-frame-time': new Date(wallclock).toISOString(),
        });
        res.send(jpeg);
      } catch (err) {
        if (err instanceof SnapshotError)
          throw new HttpError(503, 'stream_unavailable', `camera ${camera} is not streaming: ${err.message}`);
        throw err;
      }
    }),
  );
  return r;
}
