import { Router } from 'express';
import { z } from 'zod';
import type { Incident, IncidentState } from '../core/incident-types.js';
import { INCIDENT_STATES } from '../core/incident-types.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { parse, requireUser, route, userOf } from './middleware.js';

const listQuery = z.strictObject({
  state: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',') : undefined))
    .pipe(z.array(z.enum(INCIDENT_STATES)).optional()),
  open: z.enum(['true', 'false']).optional(),
  site: z.string().max(64).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const actionBody = z.strictObject({ note: z.string().max(2000).optional() }).default({});

/** Route verb → target state (DESIGN.md: ack, dispatch, resolve, false-alarm). */
const ACTIONS: Record<string, IncidentState> = {
  ack: 'acknowledged',
  dispatch: 'dispatched',
  'on-scene': 'on_scene',
  resolve: 'resolved',
  'false-alarm': 'false_alarm',
};

/** Loads an incident the user may see; 404 whether it is missing or out of scope, so scope leaks nothing. */
export async function visibleIncident(svc: Service, user: User, id: string): Promise<Incident> {
  const inc = await svc.need('store').incidents.get(id);
  if (!inc || !svc.need('access').canSeeIncident(user, inc)) {
    throw new HttpError(404, 'not_found', `incident ${id} does not exist`);
  }
  return inc;
}

export function incidentRoutes(svc: Service): Router {
  const r = Router();
  const access = svc.need('access');
  const store = svc.need('store');
  r.use('/api/incidents', requireUser(svc.need('auth')));

  r.get(
    '/api/incidents',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(listQuery, req.query, 'query');
      const jurisdictions = access.visibleJurisdictions(user);
      const states =
        q.state ??
        (q.open === 'true'
          ? (['new', 'acknowledged', 'dispatched', 'on_scene'] as IncidentState[])
          : undefined);
      if (q.site && !access.canSeeSite(user, q.site)) return res.json({ incidents: [] });
      const list = await store.incidents.list({
        ...(jurisdictions ? { jurisdictions } : { site: user.scope }),
        ...(q.site ? { site: q.site } : {}),
        ...(states ? { states } : {}),
        ...(q.since ? { since: new Date(q.since).toISOString() } : {}),
        ...(q.until ? { until: new Date(q.until).toISOString() } : {}),
        limit: q.limit ?? 200,
      });
      res.json({ incidents: list });
    }),
  );

  r.get(
    '/api/incidents/:id',
    route(async (req, res) => {
      res.json(await visibleIncident(svc, userOf(req), String(req.params['id'])));
    }),
  );

  r.post(
    '/api/incidents/:id/:action',
    route(async (req, res) => {
      const user = userOf(req);
      const to = ACTIONS[String(req.params['action'])];
      if (!to) throw new HttpError(404, 'not_found', `unknown incident action ${req.params['action']}`);
      if (user.role === 'site' || user.role === 'investigator') {
        throw new HttpError(403, 'forbidden', `role ${user.role} cannot change incidents`);
      }
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      const body = parse(actionBody, req.body ?? {});
      const updated = await svc.need('core').transition(inc.id, to, user.username, body.note);
      svc.need('audit').append({
        actor: user.username,
        action: `incident.${to}`,
        target: `incident:${inc.id}`,
        ...(body.note ? { detail: { note: body.note } } : {}),
      });
      res.json(updated);
    }),
  );
  return r;
}
