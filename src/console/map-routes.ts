import { Router } from 'express';
import { requireUser, route, userOf } from '../api/middleware.js';
import type { JurisdictionNode } from '../config/sections/jurisdictions.js';
import type { Service } from '../service.js';

/** A jurisdiction node as the map draws it. */
export interface MapArea {
  id: string;
  name: string;
  kind: string | null;
  /** Depth below the user's scope node (0 = the scope itself), for the line style. */
  depth: number;
  location: { lat: number; lon: number } | null;
  boundary: [number, number][] | null;
}

/** The areas of the subtree rooted at `scope` that have a boundary or a location. */
export function mapAreas(roots: readonly JurisdictionNode[], scope: string): MapArea[] {
  const out: MapArea[] = [];
  const walk = (nodes: readonly JurisdictionNode[], inside: boolean, depth: number) => {
    for (const n of nodes) {
      const here = inside || n.id === scope;
      if (here && (n.boundary || n.location))
        out.push({
          id: n.id,
          name: n.name,
          kind: n.kind ?? null,
          depth,
          location: n.location ?? null,
          boundary: n.boundary ?? null,
        });
      walk(n.children, here, here ? depth + 1 : depth);
    }
  };
  walk(roots, false, 0);
  return out;
}

/**
 * `GET /api/map` → `{tiles: {url, subdomains, attribution, minZoom, maxZoom} | null, center, zoom,
 * areas}`: the console map's base layer (from config `map`) and the jurisdiction areas of the
 * user's scope. A site user gets no areas: their page has no map of the city.
 */
export function mapRoutes(svc: Service): Router {
  const r = Router();
  const cfg = svc.config.map;
  r.get(
    '/api/map',
    requireUser(svc.need('auth')),
    route((req, res) => {
      const user = userOf(req);
      res.json({
        tiles: cfg.tiles
          ? {
              url: cfg.tiles,
              subdomains: cfg.subdomains ?? null,
              attribution: cfg.attribution ?? null,
              minZoom: cfg.minZoom,
              maxZoom: cfg.maxZoom,
            }
          : null,
        minZoom: cfg.minZoom,
        maxZoom: cfg.maxZoom,
        center: cfg.center ?? null,
        zoom: cfg.zoom ?? null,
        areas: user.role === 'site' ? [] : mapAreas(svc.config.jurisdictions, user.scope),
      });
    }),
  );
  return r;
}
