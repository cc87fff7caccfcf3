import type { UnitConfig } from '../config/sections/units.js';
import { CLOSE_OUTCOMES } from '../core/close-outcomes.js';
import type { Directory } from '../core/directory.js';
import type { FiguresRaw } from './report-ops.js';
import type { Period, SpreadRow } from './report-queries.js';

/** Seconds: how many, the median, the 90th percentile (nearest rank) and the longest. */
export interface Spread {
  count: number;
  p50: number | null;
  p90: number | null;
  max: number | null;
}

export const EMPTY_SPREAD: Spread = { count: 0, p50: null, p90: null, max: null };

const secs = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);

export function toSpread(row: SpreadRow | undefined): Spread {
  if (!row) return { ...EMPTY_SPREAD };
  return { count: row.count, p50: secs(row.p50), p90: secs(row.p90), max: secs(row.max) };
}

export function spreadOf(rows: readonly SpreadRow[], grp: string, m: string): Spread {
  return toSpread(rows.find((r) => r.grp === grp && r.m === m));
}

const MEASURES = ['acknowledge', 'dispatch', 'arrive', 'resolve'] as const;

export interface CountSummary {
  incidents: number;
  alarms: number;
  maintenance: number;
  falseAlarms: number;
  confirmed: number;
  /** Incidents escalated at least once, and of them those nobody had acknowledged by the first step. */
  escalated: number;
  unanswered: number;
}

function summarise(rows: FiguresRaw['counts'], grp: string): CountSummary {
  const s: CountSummary = {
    incidents: 0,
    alarms: 0,
    maintenance: 0,
    falseAlarms: 0,
    confirmed: 0,
    escalated: 0,
    unanswered: 0,
  };
  for (const r of rows) {
    if (r.grp !== grp) continue;
    s.incidents += r.n;
    if (r.kind === 'alarm') {
      s.alarms += r.n;
      if (r.state === 'false_alarm') s.falseAlarms += r.n;
      else if (r.confirmed) s.confirmed += r.n;
    } else s.maintenance += r.n;
    s.escalated += r.escalated;
    s.unanswered += r.unanswered;
  }
  return s;
}

/**
 * Closed alarms by how they were closed: each code of src/core/close-outcomes.ts in its order (zero
 * when unused, so months line up), then those closed without one (`outcome: null`).
 */
export function outcomeCounts(rows: FiguresRaw['counts'], grp: string) {
  const out = (['resolved', 'false_alarm'] as const).flatMap((state) => {
    const n = (code: string | null) =>
      rows
        .filter((r) => r.grp === grp && r.kind === 'alarm' && r.state === state && r.outcome === code)
        .reduce((a, r) => a + r.n, 0);
    const known = new Set<string>(CLOSE_OUTCOMES[state].map((o) => o.code));
    // A code this build does not list (written by a newer node) is still counted, under its code.
    const others = [
      ...new Set(
        rows
          .filter((r) => r.grp === grp && r.state === state && r.outcome !== null && !known.has(r.outcome))
          .map((r) => r.outcome as string),
      ),
    ].sort();
    return [
      ...CLOSE_OUTCOMES[state].map((o) => ({ state, outcome: o.code as string | null, label: o.label })),
      ...others.map((code) => ({ state, outcome: code as string | null, label: code })),
      { state, outcome: null, label: '未填写' },
    ].map((o) => ({ ...o, count: n(o.outcome) }));
  });
  return out;
}

const rate = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 1000 : 0);

/**
 * A node's figures for a period, from the worker's aggregates: names from the configuration, times in
 * seconds. Units listed are those of the node's subtree, with or without dispatches.
 */
export function shapeFigures(
  raw: FiguresRaw,
  p: Period,
  deps: { dir: Directory; units: readonly UnitConfig[]; children: readonly string[] },
) {
  const { dir } = deps;
  const tree = dir.tree;
  const name = (id: string) => tree.get(id)?.name ?? id;
  const siteName = (id: string) => dir.site(id)?.name ?? id;
  const response = (grp: string) =>
    Object.fromEntries(MEASURES.map((m) => [m, spreadOf(raw.response, grp, m)])) as Record<
      (typeof MEASURES)[number],
      Spread
    >;
  const counts = summarise(raw.counts, p.node);
  const byType = new Map<string, { type: string; kind: string; count: number }>();
  const byPriority = new Map<number, number>();
  for (const r of raw.counts) {
    if (r.grp !== p.node) continue;
    const key = `${r.kind}:${r.type}`;
    const t = byType.get(key) ?? { type: r.type, kind: r.kind, count: 0 };
    t.count += r.n;
    byType.set(key, t);
    byPriority.set(r.priority, (byPriority.get(r.priority) ?? 0) + r.n);
  }
  const totals = new Map(raw.units.totals.map((t) => [t.unit, t]));
  const offline = (kind: string) => {
    const t = raw.offline.totals.find((x) => x.kind === kind);
    return {
      seconds: t ? Math.round(t.ms / 1000) : 0,
      episodes: t?.episodes ?? 0,
      devices: t?.devices ?? 0,
    };
  };
  return {
    node: { id: p.node, name: name(p.node), kind: tree.get(p.node)?.kind ?? null },
    from: new Date(p.from).toISOString(),
    to: new Date(p.to).toISOString(),
    asOf: new Date(p.asOf).toISOString(),
    unit: 'seconds',
    counts: {
      ...counts,
      falseAlarmRate: rate(counts.falseAlarms, counts.alarms),
      byType: [...byType.values()].sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
      byPriority: [1, 2, 3, 4].map((priority) => ({ priority, count: byPriority.get(priority) ?? 0 })),
      /** Closed alarms by outcome (resolved) and by cause (false alarms); `outcome: null` = none given. */
      byOutcome: outcomeCounts(raw.counts, p.node),
    },
    response: response(p.node),
    children: deps.children.map((id) => {
      const c = summarise(raw.counts, id);
      return {
        id,
        name: name(id),
        kind: tree.get(id)?.kind ?? null,
        counts: { ...c, falseAlarmRate: rate(c.falseAlarms, c.alarms) },
        response: response(id),
      };
    }),
    units: deps.units.map((u) => {
      const t = totals.get(u.id);
      return {
        unit: u.id,
        name: u.name,
        kind: u.kind,
        jurisdiction: u.jurisdiction,
        dispatches: t?.dispatches ?? 0,
        arrived: t?.arrived ?? 0,
        busyHours: t ? Math.round(t.busyMs / 360_000) / 10 : 0,
        dispatchToArrival: spreadOf(raw.units.spreads, u.id, 'travel'),
        openToArrival: spreadOf(raw.units.spreads, u.id, 'arrival'),
      };
    }),
    sites: raw.sites.map((s) => ({
      site: s.site,
      name: siteName(s.site),
      alarms: s.alarms,
      falseAlarms: s.falseAlarms,
      falseAlarmRate: rate(s.falseAlarms, s.alarms),
    })),
    escalations: {
      escalated: counts.escalated,
      unanswered: counts.unanswered,
      list: raw.escalations.map((e) => ({
        incident: e.incident,
        site: e.site,
        siteName: siteName(e.site),
        kind: e.kind,
        type: e.type,
        priority: e.priority,
        state: e.state,
        openedAt: new Date(e.openedMs).toISOString(),
        steps: e.steps,
        reached: e.reached,
        reachedName: e.reached ? name(e.reached) : null,
        acknowledgedAt: e.ackMs === null ? null : new Date(e.ackMs).toISOString(),
        acknowledgeSeconds: e.ackMs === null ? null : Math.round((e.ackMs - e.openedMs) / 1000),
      })),
    },
    offline: {
      panels: offline('panel'),
      cameras: offline('camera'),
      devices: raw.offline.devices.map((d) => ({
        kind: d.kind,
        device: d.device,
        site: d.site,
        siteName: siteName(d.site),
        seconds: Math.round(d.ms / 1000),
        episodes: d.episodes,
        open: d.open,
      })),
    },
  };
}
export type Figures = ReturnType<typeof shapeFigures>;
