import { Router } from 'express';
import { z } from 'zod';
import type { AuditRecord } from '../audit/audit-log.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { parse, requireRole, requireUser, route, userOf } from './middleware.js';

const auditQuery = z.strictObject({
  target: z.string().max(200).optional(),
  action: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/**
 * Whether a user may read an audit row, decided by its target (`kind:id`): incidents, sites, panels,
 * cameras, units and jurisdiction nodes by scope; anything else (users, config, exports without a
 * known place) only for a user scoped at a root of the tree.
 */
async function visibleTarget(svc: Service, user: User, target: string): Promise<boolean> {
  const access = svc.need('access');
  const dir = svc.need('dir');
  if (dir.tree.roots.includes(user.scope)) return true;
  const [kind, ...rest] = target.split(':');
  const id = rest.join(':');
  switch (kind) {
    case 'incident': {
      const place = await svc.need('core').repo.placeOf(id);
      return place !== undefined && access.canSeeIncident(user, place);
    }
    case 'site':
      return access.canSeeSite(user, id);
    case 'panel': {
      const p = dir.panel(id);
      return p !== undefined && access.canSeeSite(user, p.site);
    }
    case 'camera':
      return access.canSeeCamera(user, id);
    case 'jurisdiction':
      return access.canSeeJurisdiction(user, id);
    case 'unit': {
      const u = svc.config.units.find((x) => x.id === id);
      return u !== undefined && access.canSeeJurisdiction(user, u.jurisdiction);
    }
    default:
      return false;
  }
}

/** `GET /api/audit` for admins and supervisors, limited to the rows whose target they may see. */
export function auditRoutes(svc: Service): Router {
  const r = Router();
  r.get(
    '/api/audit',
    requireUser(svc.need('auth')),
    requireRole('admin', 'supervisor'),
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(auditQuery, req.query, 'query');
      const limit = q.limit ?? 200;
      // Read more than asked and keep what the user may see; a bounded over-read, not a full scan.
      const rows = await svc.need('audit').list({
        ...(q.target ? { target: q.target } : {}),
        ...(q.action ? { action: q.action } : {}),
        limit: Math.min(limit * 10, 10_000),
      });
      const out: AuditRecord[] = [];
      for (const row of rows) {
        if (out.length >= limit) break;
        if (await visibleTarget(svc, user, row.target)) out.push(row);
      }
      res.json({ entries: out });
    }),
  );
  return r;
}
