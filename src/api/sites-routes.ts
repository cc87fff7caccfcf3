import { Router } from 'express';
import { z } from 'zod';
import type { JurisdictionNode } from '../config/sections/jurisdictions.js';
import type { PanelConfig } from '../config/sections/panels.js';
import type { SiteConfig } from '../config/sections/sites.js';
import { ConsoleStore } from '../console/console-store.js';
import type { SiteState } from '../core/core-repository.js';
import type { Directory } from '../core/directory.js';
import type { JurisdictionTree } from '../core/jurisdictions.js';
import { rankUnits, type UnitRegistry } from '../core/units.js';
import { HttpError } from '../errors.js';
import type { RatingService, SiteRating } from '../ratings/rating-service.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { visibleIncident } from './incidents-routes.js';
import { parse, requireUser, route, userOf } from './middleware.js';
import { sendSliced } from './sliced-json.js';

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

const unitsQuery = z.strictObject({
  incident: z.string().min(1).max(64).optional().describe('Rank for this incident’s site.'),
  site: z.string().min(1).max(64).optional().describe('Rank for this site.'),
});

const signalsQuery = z.strictObject({
  type: z.enum(['test', 'arm', 'disarm']).default('test'),
  since: z.iso.datetime({ offset: true }).optional().describe('Default: 7 days ago.'),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

/** Names from the tree's root down to `node` (what a person reads instead of `grid-bc-01`). */
export function jurisdictionPath(tree: JurisdictionTree, node: string): { id: string; name: string }[] {
  const n = tree.get(node);
  return (n?.path ?? []).map((id) => ({ id, name: tree.get(id)?.name ?? id }));
}

/** Configured positions of jurisdiction nodes (a station building), by node id. */
function nodeLocations(roots: readonly JurisdictionNode[]): Map<string, { lat: number; lon: number }> {
  const out = new Map<string, { lat: number; lon: number }>();
  const walk = (list: readonly JurisdictionNode[]) => {
    for (const n of list) {
      if (n.location) out.set(n.id, n.location);
      walk(n.children);
    }
  };
  walk(roots);
  return out;
}

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

/** Monthly ratings of `sites` (issue 19: the configured rules, src/ratings/); the running month by default. */
export async function ratingsFor(
  svc: Service,
  sites: readonly SiteConfig[],
  month?: string,
): Promise<Map<string, SiteRating>> {
  const got = await svc.part<RatingService>('ratings').forSites(
    sites.map((s) => s.id),
    month,
  );
  return got.ratings;
}

/** Zone names of a site's panels: what the console writes instead of "防区 1". */
function zonesOf(panels: readonly PanelConfig[]) {
  return panels.flatMap((p) =>
    Object.entries(p.zones).map(([zone, z]) => ({ panel: p.id, zone, name: z.name })),
  );
}

function siteView(
  dir: Directory,
  s: SiteConfig,
  open: number,
  rating: SiteRating | undefined,
  state: SiteState | undefined,
) {
  return {
    id: s.id,
    name: s.name,
    jurisdiction: s.jurisdiction,
    jurisdictionName: dir.tree.get(s.jurisdiction)?.name ?? s.jurisdiction,
    jurisdictionPath: jurisdictionPath(dir.tree, s.jurisdiction),
    zones: zonesOf(dir.panelsOfSite(s.id)),
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

/**
 * `GET /api/sites`, `/api/sites/:id`, `/api/sites/:id/signals`, `/api/tree`, `/api/units` (scoped to
 * the user's subtree; `/api/units?incident=` or `?site=` ranks them for dispatch).
 */
export function siteRoutes(svc: Service): Router {
  const r = Router();
  const auth = requireUser(svc.need('auth'));
  const access = svc.need('access');
  const dir = svc.need('dir');
  const consoleStore = new ConsoleStore(svc.need('store').k, svc.need('store').dialect);

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
        ratingsFor(svc, sites, q.month),
      ]);
      // A district's thousands of sites: built and sent a slice at a time (sendSliced).
      await sendSliced(res, {}, 'sites', sites, (s) =>
        siteView(dir, s, open.get(s.id) ?? 0, ratings.get(s.id), states.get(s.id)),
      );
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
        ratingsFor(svc, [site]),
      ]);
      res.json({
        ...siteView(dir, site, open.get(id) ?? 0, ratings.get(id), states.get(id)),
        panels: dir.panelsOfSite(id).map((p) => ({ id: p.id, zones: p.zones })),
        cameras: dir.camerasOfSite(id).map((c) => ({ id: c.id, name: c.name ?? c.id })),
      });
    }),
  );

  r.get(
    '/api/tree',
    auth,
    route((req, res) => {
      const user = userOf(req);
      // The nodes above the user's own, nearest first, by name only: where their alarms escalate to
      // ("已升级至 朔州市公安局110指挥中心", not the node's id). Nothing of those nodes' other branches.
      const named = (ids: string[]) =>
        ids.map((id) => {
          const n = dir.tree.get(id)!;
          return { id: n.id, name: n.name, kind: n.kind };
        });
      // A site user has no jurisdiction of their own: no tree, and above them their site's grid cell,
      // station and city, whose names their incident's escalations and handlers read as.
      if (user.role === 'site') {
        const node = dir.site(user.scope)?.jurisdiction;
        res.json({ roots: [], above: node && dir.tree.has(node) ? named(dir.tree.ancestors(node)) : [] });
        return;
      }
      if (!dir.tree.has(user.scope)) {
        res.json({ roots: [], above: [] });
        return;
      }
      res.json({
        roots: [subtreeView(dir.tree, user.scope)],
        above: named(dir.tree.ancestors(user.scope).slice(1)),
      });
    }),
  );

  r.get(
    '/api/sites/:id/signals',
    auth,
    route(async (req, res) => {
      const user = userOf(req);
      const id = String(req.params['id']);
      if (!dir.site(id) || !access.canSeeSite(user, id))
        throw new HttpError(404, 'not_found', `site ${id} does not exist`);
      const q = parse(signalsQuery, req.query, 'query');
      const since = q.since ? new Date(q.since) : new Date(Date.now() - 7 * 86_400_000);
      res.json({ signals: await consoleStore.siteSignals(id, q.type, since.toISOString(), q.limit ?? 20) });
    }),
  );

  const locations = nodeLocations(svc.config.jurisdictions);
  r.get(
    '/api/units',
    auth,
    route(async (req, res) => {
      const user = userOf(req);
      const registry = svc.part<UnitRegistry>('units');
      const q = parse(unitsQuery, req.query, 'query');
      if (user.role === 'site') {
        // A shop owner reads the names of the units sent to their own alarms ("已派警 北城巡逻1车"),
        // never the city's roster, states or positions.
        const sent = await consoleStore.unitsSentToSite(user.scope);
        const units = sent.flatMap((id) => registry.get(id) ?? []);
        return res.json({ units: units.map((u) => ({ id: u.id, name: u.name, kind: u.kind })) });
      }
      const units = await registry.list(user.scope);
      let siteId = q.site;
      if (q.incident) siteId = (await visibleIncident(svc, user, q.incident)).site;
      else if (siteId && !access.canSeeSite(user, siteId))
        throw new HttpError(404, 'not_found', `site ${siteId} does not exist`);
      const site = siteId ? dir.site(siteId) : undefined;
      if (!site) return res.json({ units });
      res.json({ units: rankUnits(units, site, dir.tree, (n) => locations.get(n)) });
    }),
  );
  return r;
}
