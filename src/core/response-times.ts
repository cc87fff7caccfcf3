import type { UnitConfig } from '../config/sections/units.js';
import type { IncidentTiming } from './core-repository.js';
import type { JurisdictionTree } from './jurisdictions.js';

export interface Spread {
  count: number;
  p50: number | null;
  p90: number | null;
}

/** Nearest-rank percentile of seconds; null for no samples. */
export function spread(seconds: number[]): Spread {
  const s = [...seconds].sort((a, b) => a - b);
  const at = (p: number) => (s.length === 0 ? null : s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!);
  return { count: s.length, p50: at(0.5), p90: at(0.9) };
}

const secs = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

/** The station an incident belongs to: the nearest node of kind `station` at or above it, else itself. */
export function stationOf(tree: JurisdictionTree, node: string): string {
  for (const id of tree.ancestors(node)) if (tree.get(id)?.kind === 'station') return id;
  return node;
}

/**
 * Response times of alarm incidents (maintenance tickets are not answered by patrols):
 * per station, opened → acknowledged and opened → first arrival; per unit, dispatched → arrived and
 * opened → arrived. All in seconds, p50/p90 by nearest rank.
 */
export function responseTimes(
  tree: JurisdictionTree,
  units: readonly UnitConfig[],
  incidents: readonly IncidentTiming[],
) {
  const stations = new Map<
    string,
    { incidents: number; falseAlarms: number; ack: number[]; arrival: number[] }
  >();
  const perUnit = new Map<string, { dispatches: number; travel: number[]; arrival: number[] }>();
  for (const i of incidents) {
    if (i.kind !== 'alarm') continue;
    const st = stationOf(tree, i.jurisdiction);
    const s = stations.get(st) ?? { incidents: 0, falseAlarms: 0, ack: [], arrival: [] };
    s.incidents++;
    if (i.state === 'false_alarm') s.falseAlarms++;
    if (i.acknowledgedAt) s.ack.push(secs(i.openedAt, i.acknowledgedAt));
    const arrivals = i.units.flatMap((u) => (u.arrivedAt ? [u.arrivedAt] : [])).sort();
    if (arrivals[0]) s.arrival.push(secs(i.openedAt, arrivals[0]));
    stations.set(st, s);
    for (const u of i.units) {
      const pu = perUnit.get(u.unit) ?? { dispatches: 0, travel: [], arrival: [] };
      pu.dispatches++;
      if (u.arrivedAt) {
        pu.travel.push(secs(u.dispatchedAt, u.arrivedAt));
        pu.arrival.push(secs(i.openedAt, u.arrivedAt));
      }
      perUnit.set(u.unit, pu);
    }
  }
  const byId = new Map(units.map((u) => [u.id, u]));
  return {
    stations: [...stations.entries()].map(([id, s]) => ({
      station: id,
      name: tree.get(id)?.name ?? id,
      incidents: s.incidents,
      falseAlarms: s.falseAlarms,
      acknowledge: spread(s.ack),
      arrival: spread(s.arrival),
    })),
    units: [...perUnit.entries()].map(([id, u]) => ({
      unit: id,
      name: byId.get(id)?.name ?? id,
      jurisdiction: byId.get(id)?.jurisdiction ?? null,
      dispatches: u.dispatches,
      dispatchToArrival: spread(u.travel),
      openToArrival: spread(u.arrival),
    })),
  };
}
