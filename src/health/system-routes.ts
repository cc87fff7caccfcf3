import { Router } from 'express';
import { z } from 'zod';
import { parse, requireRole, requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import { MINUTE_MS, type SystemHistoryStore, stepFor } from './system-history.js';
import { type SystemPeers, standingTrouble } from './system-peers.js';
import { ackNode, type TroubleAcks, troubleKey } from './system-trouble-acks.js';
import type { SystemWatch } from './system-watch.js';

const ackBody = z.strictObject({
  node: z.string().min(1).max(200),
  kind: z.enum(['database', 'sink', 'wait', 'storage', 'recording', 'panels', 'cameras']),
  name: z.string().min(1).max(100).optional(),
  /**
   * When the trouble began, as the desk heard it from `system:status`. The acknowledgement is kept
   * under the start the trouble's node gives it now (the answer's `since`): a desk may still hold an
   * earlier start of the same trouble, and another node's is not this node's to know.
   */
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
  peers: SystemPeers,
): Router {
  const r = Router();
  // A supervisor or admin takes charge of a trouble: every desk sees by whom, operators stop calling
  // the duty engineer about it. Any node takes it: it asks the trouble's node what stands (through
  // Redis in a city), keeps the acknowledgement under that trouble's own start, and has that node tell
  // its desks now.
  r.post(
    '/api/system/troubles/ack',
    requireUser(svc.need('auth')),
    requireRole('supervisor', 'admin'),
    route(async (req, res) => {
      const b = parse(ackBody, req.body, 'body');
      const user = userOf(req);
      const trouble = troubleKey(b);
      const standing = standingTrouble(await peers.statuses(), b);
      if (!standing)
        throw new HttpError(
          409,
          'trouble_not_standing',
          `${b.node} has no ${trouble} trouble standing now (it has ended, or ${b.node} does not answer from here): refresh the system status`,
        );
      const { since } = standing.trouble;
      // Devices lost together are kept under the city (any node judging them reads it).
      const taken = await acks.ack(ackNode(b.node, b.kind), trouble, since, user, new Date().toISOString());
      // Someone's acknowledgement came first and was purged before it could be read: the trouble
      // began before the purge's horizon and stands nowhere, so there is nothing left to take charge of.
      if (taken.gone)
        throw new HttpError(
          409,
          'trouble_gone',
          `the ${trouble} trouble of ${b.node} since ${since} is over and its acknowledgements were cleared: refresh the system status`,
        );
      const { ack, first } = taken;
      if (first)
        await svc.need('audit').append({
          actor: user.username,
          action: 'system.trouble.ack',
          target: `node:${b.node}`,
          detail: { kind: b.kind, ...(b.name ? { name: b.name } : {}), since },
        });
      // The node telling the trouble tells its desks now, not at its next check.
      peers.checkNow(standing.node);
      res.json({ node: b.node, trouble, since, ack, first });
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
