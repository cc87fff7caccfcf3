import { Router } from 'express';
import { requireRole, requireUser, route, userOf } from '../../api/middleware.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { HttpError } from '../../errors.js';
import type { Service } from '../../service.js';
import type { RunawayStore } from './runaway-store.js';

/**
 * `DELETE /api/runaways/:panel` (supervisors; issue 17): ends a panel's runaway now instead of after
 * its quiet minutes (the installer has fixed it and the desk wants its alarms to ring one by one
 * again). The clearance is the one the maintainer makes when the panel falls calm: the count pushed
 * a last time, the restore that closes the installer's ticket. A panel still flooding becomes
 * runaway again at its rate.
 */
export function runawayRoutes(
  svc: Service,
  deps: { store: RunawayStore; audit: AuditLog; now: () => Date; follow: () => Promise<void> },
): Router {
  const r = Router();
  const k = () => svc.need('store').k;
  r.delete(
    '/api/runaways/:panel',
    requireUser(svc.need('auth')),
    requireRole('admin', 'supervisor'),
    route(async (req, res) => {
      const user = userOf(req);
      const panel = String(req.params['panel']);
      const run = await deps.store.open(k(), panel);
      // Out of scope is not there at all (as everywhere: no telling which panels exist elsewhere).
      if (!run || !svc.need('access').canSeeSite(user, run.site))
        throw new HttpError(404, 'not_found', `panel ${panel} is not runaway`);
      const at = deps.now().toISOString();
      // A clearance by the maintainer in between wins: the runaway is over either way.
      if (!(await deps.store.clear(k(), run.id, at)))
        throw new HttpError(409, 'already_ended', `panel ${panel}'s runaway has already ended`);
      await deps.audit.append({
        actor: user.username,
        action: 'runaway.end',
        target: `panel:${panel}`,
        detail: { site: run.site, since: run.since, endedAt: at },
      });
      svc.log.info({ device: panel, by: user.username, since: run.since }, 'workflow: runaway ended by hand');
      // The restore and the last count now, not at the next tick.
      await deps.follow();
      res.json({ panel, site: run.site, since: run.since, endedAt: at, endedBy: user.username });
    }),
  );
  return r;
}
