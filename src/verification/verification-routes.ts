import { existsSync } from 'node:fs';
import { Router } from 'express';
import { visibleIncident } from '../api/incidents-routes.js';
import { requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { VerificationStore } from './verification-store.js';

/**
 * The verification of an incident and its best frame. Both are scoped like the incident (404 when out
 * of scope); the frame is footage, so every view is in the audit log before it is served.
 */
export function verificationRoutes(svc: Service, store: VerificationStore): Router {
  const r = Router();
  r.use('/api/incidents/:id/verification', requireUser(svc.need('auth')));

  r.get(
    '/api/incidents/:id/verification',
    route(async (req, res) => {
      const inc = await visibleIncident(svc, userOf(req), String(req.params['id']));
      const v = await store.get(inc.id);
      if (!v) throw new HttpError(404, 'not_found', `incident ${inc.id} has not been verified`);
      res.json(v);
    }),
  );

  r.get(
    '/api/incidents/:id/verification/frame',
    route(async (req, res) => {
      const user = userOf(req);
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      const file = await store.frameFile(inc.id);
      if (!file || !existsSync(file))
        throw new HttpError(404, 'not_found', `incident ${inc.id} has no frame`);
      await svc.need('audit').append({
        actor: user.username,
        action: 'footage.view',
        target: `incident:${inc.id}`,
        detail: { what: 'verification frame', camera: (await store.get(inc.id))?.camera ?? null },
      });
      res.setHeader('cache-control', 'private, no-store');
      res.type('image/jpeg').sendFile(file);
    }),
  );
  return r;
}
