import { Router } from 'express';
import { z } from 'zod';
import { parse, requireRole, requireUser, route, userOf } from '../api/middleware.js';
import { redactUrl } from '../log.js';
import type { Service } from '../service.js';
import { DELIVERY_STATES, type Delivery, type DeliveryState } from './webhook-outbox.js';
import type { WebhookSender } from './webhook-sender.js';

const deliveriesQuery = z.strictObject({
  state: z.enum(DELIVERY_STATES as [DeliveryState, ...DeliveryState[]]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** What an admin sees of a delivery: the row without its body, the hook URL redacted. */
function view(d: Delivery) {
  return {
    id: d.id,
    hook: redactUrl(d.hook),
    event: d.event,
    incident: d.incident,
    site: d.site,
    state: d.state,
    attempts: d.attempts,
    createdAt: d.createdAt,
    nextAttemptAt: d.state === 'pending' ? d.nextAttemptAt : null,
    lastAttemptAt: d.lastAttemptAt,
    lastError: d.lastError,
    finishedAt: d.finishedAt,
  };
}

/**
 * `GET /api/webhooks/deliveries?state=failed`: the outbox for admins (dead letters are `failed`),
 * limited to deliveries of incidents in the admin's subtree.
 */
export function webhookRoutes(svc: Service, sender: WebhookSender): Router {
  const r = Router();
  r.get(
    '/api/webhooks/deliveries',
    requireUser(svc.need('auth')),
    requireRole('admin'),
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(deliveriesQuery, req.query, 'query');
      const jurisdictions = svc.need('access').visibleJurisdictions(user) ?? [];
      const rows = await sender.outbox.list({
        ...(q.state ? { state: q.state } : {}),
        jurisdictions,
        limit: q.limit ?? 200,
      });
      res.json({ deliveries: rows.map(view) });
    }),
  );
  return r;
}
