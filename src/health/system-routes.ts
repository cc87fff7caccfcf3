import { Router } from 'express';
import { z } from 'zod';
import { parse, requireRole, requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import { MINUTE_MS, type SystemHistoryStore, stepFor } from './system-history.js';
import { ackNode, type TroubleAcks, troubleKey } from './system-trouble-acks.js';
import type { SystemWatch } from './system-watch.js';

const ackBody = z.strictObject({
  node: z.string().min(1).max(200),
  kind: z.enum(['database', 'sink', 'wait', 'storage', 'recording', 'panels', 'cameras']),
  name: z.string().min(1).max(100).optional(),
  /** When the trouble began, as `system:status` said: the same trouble beginning again is a new one. */
  since: z.iso.datetime(),
});

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
export function systemRoutes(
  svc: Service,
  store: SystemHistoryStore,
  watch: SystemWatch,
  acks: TroubleAcks,
): Router {
  const r = Router();
  // A supervisor or admin takes charge of a trouble: every desk sees by whom, operators stop calling
  // the duty engineer about it. Any node takes it (the trouble's own node reads it at its next check).
  r.post(
    '/api/system/troubles/ack',
    requireUser(svc.need('auth')),
    requireRole('supervisor', 'admin'),
    route(async (req, res) => {
      const b = parse(ackBody, req.body, 'body');
      const user = userOf(req);
      const trouble = troubleKey(b);
      // Devices lost together are kept under the city (any node judging them reads it).
      const taken = await acks.ack(ackNode(b.node, b.kind), trouble, b.since, user, new Date().toISOString());
      // Someone's acknowledgement came first and was purged before it could be read: the trouble
      // began before the purge's horizon and stands nowhere, so there is nothing left to take charge of.
      if (taken.gone)
        throw new HttpError(
          409,
          'trouble_gone',
          `the ${trouble} trouble of ${b.node} since ${b.since} is over and its acknowledgements were cleared: refresh the system status`,
        );
      const { ack, first } = taken;
      if (first)
        await svc.need('audit').append({
          actor: user.username,
          action: 'system.trouble.ack',
          target: `node:${b.node}`,
          detail: { kind: b.kind, ...(b.name ? { name: b.name } : {}), since: b.since },
        });
      // This node's own trouble: its desks are told now, not at the next check.
      if (b.node === watch.current().node) void watch.check().catch(() => undefined);
      res.json({ node: b.node, trouble, since: b.since, ack, first });
    }),
  );
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
