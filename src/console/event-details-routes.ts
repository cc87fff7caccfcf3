import { Router } from 'express';
import { z } from 'zod';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import type { Service } from '../service.js';
import { type ConsoleStore, MAX_EVENT_KEYS } from './console-store.js';

const detailsBody = z.strictObject({
  keys: z
    .array(z.string().min(1).max(512))
    .max(MAX_EVENT_KEYS)
    .describe('Event keys, as in an incident’s `events[].key`.'),
});

/**
 * `POST /api/console/event-details {keys}` → `{events: [{key, type, cid, reason, description, …}]}`:
 * what an incident's event reference leaves out, so the console can say "主机断电" instead of "故障".
 * A POST because a full queue names a few hundred keys, more than a URL carries. Events the user may
 * not see are left out, exactly like unknown keys, so the answer leaks nothing.
 */
export function eventDetailsRoutes(svc: Service, store: ConsoleStore): Router {
  const r = Router();
  const access = svc.need('access');
  r.post(
    '/api/console/event-details',
    requireUser(svc.need('auth')),
    route(async (req, res) => {
      const user = userOf(req);
      const { keys } = parse(detailsBody, req.body ?? {});
      const events = await store.eventDetails([...new Set(keys)]);
      res.json({ events: events.filter((e) => access.canSeeSite(user, e.site)) });
    }),
  );
  return r;
}
