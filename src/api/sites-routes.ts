import { Router } from 'express';
import { z } from 'zod';
import type { SiteConfig } from '../config/sections/sites.js';
import type { SiteState } from '../core/core-repository.js';
import type { JurisdictionTree } from '../core/jurisdictions.js';
import { currentMonth, monthRange, rateSites, type SiteRating } from '../core/site-rating.js';
import type { UnitRegistry } from '../core/units.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { parse, requireUser, route, userOf } from './middleware.js';

export interface TreeView {
  id: string;
  name: string;
  kind: string | undefined;
  children: TreeView[];
}

export function subtreeView(tree: JurisdictionTree, id: string): TreeView {
  const n = tree.get(id)!;
  return {
    id: n.id,
    name: n.name,
    kind: n.kind,
    children: tree.children(id).map((c) => subtreeView(tree, c)),
  };
}

const sitesQuery = z.strictObject({
  jurisdiction: z.string().max(64).optional(),
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')
    .optional(),
});

/** Sites the user sees: a jurisdiction user their subtree's, a site user their own. */
export function visibleSites(svc: Service, user: User): SiteConfig[] {
  const dir = svc.need('dir');
  if (user.role === 'site') {
    const s = dir.site(user.scope);
    return s ? [s] : [];
  }
  const nodes = new Set(dir.tree.subtree(user.scope));
  return dir.allSites().filter((s) => nodes.has(s.jurisdiction));
}

/** Monthly ratings of `sites` (the site-rating rule is in src/core/site-rating.ts). */
export async function ratingsFor(
  svc: Service,
  sites: readonly SiteConfig[],
  month: string,
): Promise<Map<string, SiteRating>> {
  const repo = svc.need('core').repo;
  const { since, until } = monthRange(month);
  const jurisdictions = [...new Set(sites.map((s) => s.jurisdiction))];
  const wanted = new Set(sites.map((s) => s.id));
  const incidents = (await repo.timings({ since, until, jurisdictions })).filter((i) => wanted.has(i.site));
  const open = (await repo.openMaintenance()).filter((t) => wanted.has(t.site));
  return rateSites(
    sites.map((s) => s.id),
    month,
    incidents,
    open,
    new Date(),
  );
}

function siteView(s: SiteConfig, open: number, rating: SiteRating | undefined, state: SiteState | undefined) {
  return {
    id: s.id,
    name: s.name,
    jurisdiction: s.jurisdiction,
    kind: s.kind,
    location: s.location,
    address: s.address ?? null,
    contacts: s.contacts,
    openIncidents: open,
    rating: rating?.rating ?? 'green',
    ratingDetail: rating,
    armed: state ? { armed: state.armed, mode: state.mode, changedAt: state.changedAt } : null,
  };
}

/** `GET /api/sites`, `/api/sites/:id`, `/api/tree`, `/api/units` (scoped to the user's subtree). */
export function siteRoutes(svc: Service): Router {
  const r = Router();
  const auth = requireUser(svc.need('auth'));
  const access = svc.need('access');
  const dir = svc.need('dir');

  r.get(
    '/api/sites',
    auth,
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(sitesQuery, req.query, 'query');
      if (q.jurisdiction && !access.canSeeJurisdiction(user, q.jurisdiction))
        throw new HttpError(404, 'not_found', `jurisdiction ${q.jurisdiction} does not exist`);
      const under = q.jurisdiction ? new Set(dir.tree.subtree(q.jurisdiction)) : undefined;
      const sites = visibleSites(svc, user).filter((s) => !under || under.has(s.jurisdiction));
      const core = svc.need('core');
      const [open, states, ratings] = await Promise.all([
        core.repo.openCountsBySite(),
        core.siteStates(),
        ratingsFor(svc, sites, q.month ?? currentMonth(new Date())),
      ]);
      res.json({
        sites: sites.map((s) => siteView(s, open.get(s.id) ?? 0, ratings.get(s.id), states.get(s.id))),
      });
    }),
  );

  r.get(
    '/api/sites/:id',
    auth,
    route(async (req, res) => {
      const user = userOf(req);
      const id = String(req.params['id']);
      const site = dir.site(id);
      if (!site || !access.canSeeSite(user, id))
        throw new HttpError(404, 'not_found', `site ${id} does not exist`);
      const core = svc.need('core');
      const [open, states, ratings] = await Promise.all([
        core.repo.openCountsBySite(),
        core.siteStates(),
        ratingsFor(svc, [site], currentMonth(new Date())),
      ]);
      res.json({
        ...siteView(site, open.get(id) ?? 0, ratings.get(id), states.get(id)),
        panels: dir
          .allPanels()
          .filter((p) => p.site === id)
          .map((p) => ({ id: p.id, zones: p.zones })),
        cameras: dir.camerasOfSite(id).map((c) => ({ id: c.id, name: c.name ?? c.id })),
      });
    }),
  );

  r.get(
    '/api/tree',
    auth,
    route((req, res) => {
      const user = userOf(req);
      // A site user has no jurisdiction: their tree is empty.
      const roots =
        user.role === 'site' || !dir.tree.has(user.scope) ? [] : [subtreeView(dir.tree, user.scope)];
      res.json({ roots });
    }),
  );

  r.get(
    '/api/units',
    auth,
    route(async (req, res) => {
      const user = userOf(req);
      if (user.role === 'site') return res.json({ units: [] });
      res.json({ units: await svc.part<UnitRegistry>('units').list(user.scope) });
    }),
  );
  return r;
}
