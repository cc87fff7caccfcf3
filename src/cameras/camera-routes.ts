import { Router } from 'express';
import { z } from 'zod';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import { sendSliced } from '../api/sliced-json.js';
import { errorMessage, HttpError, SharpeyesError } from '../errors.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import type { CameraRegistry, CameraStatus } from './camera-registry.js';

const ptzBody = z.strictObject({
  preset: z
    .union([z.number().int().min(0).max(999), z.string().min(1).max(64)])
    .describe('Preset number or token.'),
});

/** Roles that may steer a camera; investigators and site users look, they do not move cameras. */
const PTZ_ROLES = new Set(['admin', 'supervisor', 'operator']);

export function cameraRoutes(svc: Service, registry: CameraRegistry): Router {
  const r = Router();
  const access = svc.need('access');
  const audit = svc.need('audit');
  const snapshots = svc.metrics.counter('sharpeyes_camera_snapshots_total', 'Snapshots served', ['result']);
  const ptzCommands = svc.metrics.counter('sharpeyes_camera_ptz_total', 'PTZ commands', ['result']);
  r.use('/api/cameras', requireUser(svc.need('auth')));

  /** 404 whether missing or out of scope, so scope leaks nothing. */
  const visible = (user: User, id: string): CameraStatus => {
    const cam = registry.get(id);
    if (!cam || !access.canSeeCamera(user, id))
      throw new HttpError(404, 'not_found', `camera ${id} does not exist`);
    return cam;
  };

  r.get(
    '/api/cameras',
    route(async (req, res) => {
      const user = userOf(req);
      const site = typeof req.query['site'] === 'string' ? req.query['site'] : undefined;
      const cameras = registry
        .list()
        .filter((c) => access.canSeeCamera(user, c.id) && (site === undefined || c.site === site));
      // A district's thousands of cameras: sent a slice at a time (sendSliced).
      await sendSliced(res, {}, 'cameras', cameras, (c) => c);
    }),
  );

  r.get(
    '/api/cameras/:id',
    route((req, res) => {
      res.json(visible(userOf(req), String(req.params['id'])));
    }),
  );

  r.get(
    '/api/cameras/:id/snapshot',
    route(async (req, res) => {
      const user = userOf(req);
      const cam = visible(user, String(req.params['id']));
      // Audited before it is served: a view that failed half-way was still asked for.
      await audit.append({
        actor: user.username,
        action: 'footage.view',
        target: `camera:${cam.id}`,
        detail: { kind: 'snapshot', site: cam.site },
      });
      let jpeg: Buffer;
      try {
        jpeg = await registry.snapshot(cam.id);
      } catch (err) {
        snapshots.inc({ result: 'error' });
        throw new HttpError(502, 'camera_unreachable', `camera ${cam.id}: ${errorMessage(err)}`);
      }
      snapshots.inc({ result: 'ok' });
      res.type('image/jpeg').set('cache-control', 'no-store').send(jpeg);
    }),
  );

  r.post(
    '/api/cameras/:id/ptz',
    route(async (req, res) => {
      const user = userOf(req);
      const cam = visible(user, String(req.params['id']));
      if (!PTZ_ROLES.has(user.role)) {
        ptzCommands.inc({ result: 'forbidden' });
        throw new HttpError(403, 'forbidden', `role ${user.role} cannot steer cameras`);
      }
      const { preset } = parse(ptzBody, req.body ?? {});
      if (!cam.ptz) {
        ptzCommands.inc({ result: 'no_ptz' });
        throw new HttpError(409, 'no_ptz', `camera ${cam.id} has no PTZ (or is not connected)`);
      }
      await audit.append({
        actor: user.username,
        action: 'camera.ptz',
        target: `camera:${cam.id}`,
        detail: { command: 'goto_preset', preset, site: cam.site },
      });
      try {
        await registry.gotoPreset(cam.id, preset);
      } catch (err) {
        ptzCommands.inc({ result: 'error' });
        const unknown = err instanceof Error && /has no preset/.test(err.message);
        if (unknown) throw new HttpError(400, 'unknown_preset', `camera ${cam.id} has no preset ${preset}`);
        const code = err instanceof SharpeyesError ? 409 : 502;
        throw new HttpError(
          code,
          code === 409 ? 'no_ptz' : 'camera_unreachable',
          `camera ${cam.id}: ${errorMessage(err)}`,
        );
      }
      ptzCommands.inc({ result: 'ok' });
      res.json({ camera: cam.id, preset, state: 'sent' });
    }),
  );
  return r;
}
