import { Router } from 'express';
import { z } from 'zod';
import { responseTimes } from '../core/response-times.js';
import { currentMonth } from '../core/site-rating.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import { parse, requireRole, requireUser, route, userOf } from './middleware.js';
import { ratingsFor, visibleSites } from './sites-routes.js';

const rangeQuery = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    message: 'from must be before to',
  });

const monthQuery = z.strictObject({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')
    .optional(),
});

/** Supervisor reports: response times per station and unit, monthly site ratings. Scoped. */
export function reportRoutes(svc: Service): Router {
  const r = Router();
  r.use('/api/reports', requireUser(svc.need('auth')), requireRole('admin', 'supervisor', 'operator'));

  r.get(
    '/api/reports/response-times',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(rangeQuery, req.query, 'query');
      const to = q.to ? new Date(q.to) : new Date();
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000);
      if (to.getTime() - from.getTime() > 400 * 86_400_000)
        throw new HttpError(400, 'bad_request', 'query: the range may span at most 400 days');
      const dir = svc.need('dir');
      const jurisdictions = svc.need('access').visibleJurisdictions(user) ?? [];
      const timings = await svc.need('core').repo.timings({
        since: from.toISOString(),
        until: to.toISOString(),
        jurisdictions,
      });
      const scope = new Set(jurisdictions);
      const units = svc.config.units.filter((u) => scope.has(u.jurisdiction));
      res.json({
        from: from.toISOString(),
        to: to.toISOString(),
        unit: 'seconds',
        ...responseTimes(dir.tree, units, timings),
      });
    }),
  );

  r.get(
    '/api/reports/ratings',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(monthQuery, req.query, 'query');
      const month = q.month ?? currentMonth(new Date());
      const sites = visibleSites(svc, user);
      const ratings = await ratingsFor(svc, sites, month);
      res.json({
        month,
        rule: 'red: >=3 false alarms or a trouble ticket open >72 h; yellow: 1-2 false alarms, >=3 tickets or any open ticket; else green',
        sites: sites.map((s) => ({
          id: s.id,
          name: s.name,
          jurisdiction: s.jurisdiction,
          ...ratings.get(s.id)!,
        })),
      });
    }),
  );
  return r;
}
