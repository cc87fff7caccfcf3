import { Router } from 'express';
import { z } from 'zod';
import { siteViewOf, viewFor } from '../auth/people-names.js';
import { checkOutcome, isClosing } from '../core/close-outcomes.js';
import { incidentsViewer, incidentViewer } from '../core/incident-extend.js';
import type { Incident, IncidentState } from '../core/incident-types.js';
import { INCIDENT_STATES, OPEN_STATES } from '../core/incident-types.js';
import type { UnitRegistry } from '../core/units.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { parse, requireUser, route, userOf } from './middleware.js';

const listQuery = z
  .strictObject({
    state: z
      .string()
      .optional()
      .transform((s) => (s ? s.split(',') : undefined))
      .pipe(z.array(z.enum(INCIDENT_STATES)).optional()),
    open: z.enum(['true', 'false']).optional(),
    site: z.string().max(64).optional(),
    jurisdiction: z.string().max(64).optional().describe('Only this node and its subtree.'),
    priority: z.coerce.number().int().min(1).max(4).optional(),
    kind: z.enum(['alarm', 'maintenance']).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    offset: z.coerce.number().int().min(0).max(100_000).optional(),
  })
  // A reversed range finds nothing and would read as "no alarms"; say what is wrong instead.
  .refine((q) => !q.since || !q.until || Date.parse(q.since) <= Date.parse(q.until), {
    message: '`until` must not be before `since`',
    path: ['until'],
    params: { reason: 'range_reversed' },
  });

const noteOnly = z.strictObject({
  note: z.string().max(2000).optional(),
  /** Issue 17: a supervisor closes although required plan steps are open, and says why. */
  override: z.strictObject({ reason: z.string().trim().min(4).max(2000) }).optional(),
});
/** Resolve and false-alarm: `outcome` says how it was closed (src/core/close-outcomes.ts). */
const closing = noteOnly.extend({
  outcome: z.string().min(1).max(64).optional().describe('Outcome code (resolve) or cause (false-alarm).'),
});
const withUnit = z.strictObject({
  unit: z.string().min(1).max(64).optional(),
  note: z.string().max(2000).optional(),
});
const noteBody = z.strictObject({ text: z.string().trim().min(1).max(4000) });

/** Route verb → target state (DESIGN.md: ack, dispatch, resolve, false-alarm). */
const SIMPLE_ACTIONS: Record<string, IncidentState> = {
  ack: 'acknowledged',
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

function mustAct(user: User): void {
  if (user.role === 'site' || user.role === 'investigator') {
    throw new HttpError(403, 'forbidden', `role ${user.role} cannot change incidents`);
  }
}

export function incidentRoutes(svc: Service): Router {
  const r = Router();
  const access = svc.need('access');
  const store = svc.need('store');
  const core = () => svc.need('core');
  const units = () => svc.part<UnitRegistry>('units');
  // Modules that annotate incidents (issue 9: `verification`) publish this hook.
  const viewer = incidentViewer(svc.parts);
  const extendAll = incidentsViewer(svc.parts);
  const people = svc.need('auth').people;
  const asSite = siteViewOf(svc);
  /** The incident as `user` sees it: annotated, with `people` for staff roles, logins as nodes for site users. */
  const show = (user: User) => async (inc: Incident) => viewFor(people, user.role, await viewer(inc), asSite);
  r.use('/api/incidents', requireUser(svc.need('auth')));

  r.get(
    '/api/incidents',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(listQuery, req.query, 'query');
      const states = q.state ?? (q.open === 'true' ? [...OPEN_STATES] : undefined);
      let jurisdictions = access.visibleJurisdictions(user);
      if (q.jurisdiction) {
        if (!access.canSeeJurisdiction(user, q.jurisdiction))
          throw new HttpError(404, 'not_found', `jurisdiction ${q.jurisdiction} does not exist`);
        jurisdictions = svc.need('dir').tree.subtree(q.jurisdiction);
      }
      if (q.site && !access.canSeeSite(user, q.site))
        throw new HttpError(404, 'not_found', `site ${q.site} does not exist`);
      const limit = q.limit ?? 200;
      const offset = q.offset ?? 0;
      const list = await store.incidents.list({
        ...(jurisdictions ? { jurisdictions } : { site: user.scope }),
        ...(q.site ? { site: q.site } : {}),
        ...(states ? { states } : {}),
        ...(q.since ? { since: new Date(q.since).toISOString() } : {}),
        ...(q.until ? { until: new Date(q.until).toISOString() } : {}),
        ...(q.priority !== undefined ? { priority: q.priority } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        offset,
        limit: limit + 1, // one more than asked tells whether there is a next page
      });
      const page = list.slice(0, limit);
      const more = list.length > limit;
      res.json({
        incidents: (await extendAll(page)).map((i) => viewFor(people, user.role, i, asSite)),
        offset,
        limit,
        ...(more ? { nextOffset: offset + limit } : {}),
      });
    }),
  );

  r.get(
    '/api/incidents/:id',
    route(async (req, res) => {
      const user = userOf(req);
      res.json(await show(user)(await visibleIncident(svc, user, String(req.params['id']))));
    }),
  );

  r.post(
    '/api/incidents/:id/dispatch',
    route(async (req, res) => {
      const user = userOf(req);
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      mustAct(user);
      const body = parse(withUnit, req.body ?? {});
      if (body.unit) {
        const unit = units().get(body.unit);
        if (!unit || !access.canSeeJurisdiction(user, unit.jurisdiction))
          throw new HttpError(404, 'unknown_unit', `unit ${body.unit} does not exist`);
      }
      // Whether the unit is busy elsewhere is asked once, in the dispatch's transaction under the
      // unit's turn (409 unit_busy): a look here first could only agree with it or be out of date.
      res.json(await show(user)(await core().dispatch(inc.id, user.username, body)));
    }),
  );

  r.post(
    '/api/incidents/:id/on-scene',
    route(async (req, res) => {
      const user = userOf(req);
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      mustAct(user);
      const body = parse(withUnit, req.body ?? {});
      res.json(await show(user)(await core().onScene(inc.id, user.username, body)));
    }),
  );

  r.post(
    '/api/incidents/:id/notes',
    route(async (req, res) => {
      const user = userOf(req);
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      mustAct(user);
      const body = parse(noteBody, req.body ?? {});
      res.status(201).json(await show(user)(await core().addNote(inc.id, user.username, body.text)));
    }),
  );

  // Only the simple actions: other paths under an incident (issue 17's steps, calls, take) belong to
  // the routers of their modules, and an unknown one reaches the JSON 404.
  r.post(
    Object.keys(SIMPLE_ACTIONS).map((a) => `/api/incidents/:id/${a}`),
    route(async (req, res) => {
      const user = userOf(req);
      const to = SIMPLE_ACTIONS[req.path.split('/').at(-1) ?? '']!;
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      mustAct(user);
      // A move that closes nothing (ack) takes no outcome: its schema refuses the key.
      const body: z.infer<typeof closing> = parse(isClosing(to) ? closing : noteOnly, req.body ?? {});
      const outcome = body.outcome;
      checkOutcome(to, outcome, body.note);
      if (body.override && user.role !== 'supervisor' && user.role !== 'admin')
        throw new HttpError(
          403,
          'forbidden',
          'only a supervisor may close an incident with steps still open',
        );
      const opts = { ...(body.override ? { override: body.override } : {}), ...(outcome ? { outcome } : {}) };
      // The audit row is appended by the incident-audit sink as the change is published.
      res.json(await show(user)(await core().transition(inc.id, to, user.username, body.note, opts)));
    }),
  );
  return r;
}
