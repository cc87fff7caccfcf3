import type { UnitConfig } from '../config/sections/units.js';
import type { CoreRepository } from './core-repository.js';
import type { JurisdictionTree } from './jurisdictions.js';

export type UnitStatus = 'available' | 'dispatched' | 'on_scene';

export interface UnitView extends UnitConfig {
  status: UnitStatus;
  /** The open incident the unit is committed to, if any. */
  incident?: string;
}

/**
 * Units come from config (`units:`), not the database: a station's cars and teams change with its
 * roster, which is configuration an administrator reviews; what a unit is doing is derived from the
 * incidents it was dispatched to.
 */
export class UnitRegistry {
  private readonly units = new Map<string, UnitConfig>();

  constructor(
    units: readonly UnitConfig[],
    private readonly tree: JurisdictionTree,
    private readonly repo: CoreRepository,
  ) {
    for (const u of units) this.units.set(u.id, u);
  }

  get(id: string): UnitConfig | undefined {
    return this.units.get(id);
  }

  /** Units whose node lies in the subtree of `scope`, with their current status. */
  async list(scope: string | undefined): Promise<UnitView[]> {
    const busy = await this.repo.busyUnits();
    const out: UnitView[] = [];
    for (const u of this.units.values()) {
      if (scope !== undefined && !this.tree.within(u.jurisdiction, scope)) continue;
      const b = busy.get(u.id);
      out.push({
        ...u,
        status: b ? (b.arrived ? 'on_scene' : 'dispatched') : 'available',
        ...(b ? { incident: b.incident } : {}),
      });
    }
    return out;
  }
}

type LatLon = { lat: number; lon: number };

/** A unit as the dispatch list shows it for one site: its own station's first, nearest first. */
export interface RankedUnit extends UnitView {
  /** The unit belongs to the site's own jurisdiction chain (its station, or the grid or district). */
  own: boolean;
  /** Straight-line metres from the unit's base to the site; null when either position is unknown. */
  distanceM: number | null;
  /** Where the distance is measured from: the unit's `location`, else its node's. */
  from: LatLon | null;
}

const EARTH_M = 6_371_000;

/** Great-circle distance in metres (haversine): accurate to well under a metre at city scale. */
export function distanceM(a: LatLon, b: LatLon): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The station that answers for a place: the nearest ancestor-or-self of kind `station`; in a tree
 * without kinds, the parent of the place's node unless that parent is a root (a city centre is
 * nobody's station), else the node itself.
 */
export function stationOf(tree: JurisdictionTree, node: string): string {
  const chain = tree.ancestors(node);
  const station = chain.find((n) => tree.get(n)?.kind === 'station');
  if (station) return station;
  const parent = tree.parent(node);
  return parent !== null && tree.parent(parent) !== null ? parent : node;
}

/**
 * Orders units for an incident at `site`: the units of the site's own station (anywhere in its
 * subtree) first, then the rest; within each, available before busy, then by distance (unknown
 * last), then by name.
 */
export function rankUnits(
  units: readonly UnitView[],
  site: { jurisdiction: string; location: LatLon },
  tree: JurisdictionTree,
  nodeLocation: (node: string) => LatLon | undefined,
): RankedUnit[] {
  const station = stationOf(tree, site.jurisdiction);
  const ranked = units.map((u): RankedUnit => {
    const from = u.location ?? nodeLocation(u.jurisdiction) ?? null;
    return {
      ...u,
      own: tree.within(u.jurisdiction, station),
      distanceM: from ? Math.round(distanceM(from, site.location)) : null,
      from,
    };
  });
  const busy = (u: RankedUnit) => (u.status === 'available' ? 0 : 1);
  return ranked.sort(
    (a, b) =>
      Number(b.own) - Number(a.own) ||
      busy(a) - busy(b) ||
      (a.distanceM ?? Number.POSITIVE_INFINITY) - (b.distanceM ?? Number.POSITIVE_INFINITY) ||
      a.name.localeCompare(b.name, 'zh-CN'),
  );
}
