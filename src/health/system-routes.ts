import { Router } from 'express';
import { z } from 'zod';
import { parse, requireRole, requireUser, route } from '../api/middleware.js';
import type { Service } from '../service.js';
import { MINUTE_MS, type SystemHistoryStore, stepFor } from './system-history.js';
import type { SystemWatch } from './system-watch.js';

const historyQuery = z.strictObject({
  /** How far back from `until`: an hour (the page's default) up to a week. */
  hours: z.coerce.number().int().min(1).max(168).default(1),
  /** The range's end (ISO), for an earlier week; the current minute by default. */
  until: z.iso.datetime({ offset: true }).optional(),
});

/**
 * `GET /api/system/history?hours=1..168&until=ISO`: 系统状态's history for supervisors and admins,
 * minute by minute up to six hours and in wider steps beyond (at most 360 points). Health itself
 * answers anyone (load balancers poll it); its history is for the people who run the centre.
 */
export function systemRoutes(svc: Service, store: SystemHistoryStore, watch: SystemWatch): Router {
  const r = Router();
  // This node's troubles now, as its desks hear them in `system:status` (every role but a site's).
  r.get(
    '/api/system/status',
    requireUser(svc.need('auth')),
    requireRole('operator', 'investigator', 'supervisor', 'admin'),
    route(async (_req, res) => {
      res.json(watch.current());
    }),
  );
  r.get(
    '/api/system/history',
    requireUser(svc.need('auth')),
    requireRole('supervisor', 'admin'),
    route(async (req, res) => {
      const q = parse(historyQuery, req.query, 'query');
      const end = q.until ? Date.parse(q.until) : Date.now();
      // Whole minutes: the minute `until` falls in is the last one shown.
      const to = Math.floor(end / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
      const minutes = q.hours * 60;
      // The server's clock too: the page judges which minutes are due by it, not by the desk PC's.
      res.json({
        ...(await store.read(to - minutes * MINUTE_MS, to, stepFor(minutes))),
        now: new Date().toISOString(),
      });
    }),
  );
  return r;
}
