import type { UnitConfig } from '../config/sections/units.js';
import type { Directory } from '../core/directory.js';
import { HttpError } from '../errors.js';
import type { RatingService, SiteRating } from '../ratings/rating-service.js';
import { shapeFigures, spreadOf } from './figures.js';
import { addMonths, daysOfMonth, monthOf, monthRange } from './local-time.js';
import type { MonthlyRaw } from './report-ops.js';
import { BUCKETS, type Period } from './report-queries.js';
import type { ReportExecutor, ReportProgress } from './report-runner.js';

/** Months of trend shown before the report's month. */
export const TREND_MONTHS = 12;
/** Rows of the per-site and per-device lists (the worst first). */
export const LIST_LIMIT = 50;

export interface ReportDeps {
  runner: ReportExecutor;
  ratings: RatingService;
  dir: Directory;
  units: readonly UnitConfig[];
  timezone: string;
  /** False while history is still being projected into the reporting tables. */
  complete: () => boolean;
  /** Waits (briefly) until the reporting tables hold everything committed before the request. */
  settle?: () => Promise<void>;
  now?: () => Date;
}

/** Units of a node's subtree (those based in it). */
export function unitsUnder(deps: Pick<ReportDeps, 'dir' | 'units'>, node: string): UnitConfig[] {
  const nodes = new Set(deps.dir.tree.subtree(node));
  return deps.units.filter((u) => nodes.has(u.jurisdiction));
}

/** Figures of a node for any period [from, to) (`GET /api/reports/figures`). */
export async function nodeFigures(
  deps: ReportDeps,
  q: { node: string; from: number; to: number; groups?: readonly string[] },
  onProgress?: (p: ReportProgress) => void,
) {
  const now = (deps.now?.() ?? new Date()).getTime();
  const period: Period = { node: q.node, from: q.from, to: q.to, asOf: Math.min(q.to, now) };
  const children = q.groups ? [...q.groups] : [...deps.dir.tree.children(q.node)];
  const units = unitsUnder(deps, q.node);
  if (period.to > period.asOf) await deps.settle?.();
  const raw = await deps.runner.run(
    'figures',
    { period, groups: children, units: units.map((u) => u.id), limit: LIST_LIMIT },
    onProgress ? { onProgress } : {},
  );
  return { complete: deps.complete(), ...shapeFigures(raw, period, { dir: deps.dir, units, children }) };
}

/** The nodes of kind `station` in a subtree (the legacy response-time report's rows), else its children. */
export function stationsUnder(dir: Directory, node: string): string[] {
  const stations = dir.tree.subtree(node).filter((id) => dir.tree.get(id)?.kind === 'station');
  return stations.length > 0 ? stations.sort() : [...dir.tree.children(node)];
}

function shapeRatings(month: string, final: boolean, list: SiteRating[], dir: Directory) {
  const order = { red: 0, yellow: 1, green: 2 } as const;
  const sites = list
    .map((r) => ({
      site: r.site,
      name: dir.site(r.site)?.name ?? r.site,
      jurisdiction: r.jurisdiction,
      kind: r.kind,
      rating: r.rating,
      previous: r.previous,
      change: r.change,
      redStreak: r.redStreak,
      alertStreak: r.alertStreak,
      flagged: r.flagged,
      partial: r.partial,
      since: r.since,
      measures: r.measures,
      reasons: r.reasons,
    }))
    .sort(
      (a, b) =>
        order[a.rating] - order[b.rating] || b.alertStreak - a.alertStreak || a.site.localeCompare(b.site),
    );
  const count = (c: string) => sites.filter((s) => s.rating === c).length;
  return {
    month,
    final,
    counts: { green: count('green'), yellow: count('yellow'), red: count('red') },
    flagged: sites.filter((s) => s.flagged).length,
    worse: sites.filter((s) => s.change === 'worse').length,
    better: sites.filter((s) => s.change === 'better').length,
    sites,
  };
}

function shapeMonthly(raw: MonthlyRaw, month: string, days: string[]) {
  const byDay = new Map<string, { alarms: number; maintenance: number }>();
  for (const c of raw.days.counts) {
    const d = byDay.get(c.day) ?? { alarms: 0, maintenance: 0 };
    if (c.kind === 'alarm') d.alarms += c.n;
    else d.maintenance += c.n;
    byDay.set(c.day, d);
  }
  const hours = new Map(raw.hours.map((h) => [h.hour, h.n]));
  const dist = (m: string) =>
    Array.from(
      { length: BUCKETS.length + 1 },
      (_, i) => raw.distributions.find((d) => d.m === m && d.bucket === i)?.n ?? 0,
    );
  const trendMonths = [...new Set(raw.trend.counts.map((c) => c.month))];
  return {
    byDay: days.map((day) => ({
      day,
      alarms: byDay.get(day)?.alarms ?? 0,
      maintenance: byDay.get(day)?.maintenance ?? 0,
      acknowledgeP50: spreadOf(raw.days.ack, day, 'acknowledge').p50,
    })),
    byHour: Array.from({ length: 24 }, (_, hour) => ({ hour, alarms: hours.get(hour) ?? 0 })),
    distributions: {
      /** Upper bounds in seconds; the last bucket is everything above the last bound. */
      bucketsSeconds: [...BUCKETS],
      acknowledge: dist('acknowledge'),
      arrive: dist('arrive'),
    },
    trend: trendMonths.sort().map((m) => {
      const c = raw.trend.counts.find((x) => x.month === m)!;
      return {
        month: m,
        alarms: c.alarms,
        falseAlarms: c.falseAlarms,
        acknowledge: spreadOf(raw.trend.spreads, m, 'acknowledge'),
        arrive: spreadOf(raw.trend.spreads, m, 'arrive'),
      };
    }),
    month,
  };
}

function shapeNotices(raw: MonthlyRaw['notices'], dir: Directory) {
  const byNotice = new Map<string, { id: string; sentAt: string; text: string; targets: unknown[] }>();
  for (const r of raw) {
    const n = byNotice.get(r.id) ?? {
      id: r.id,
      sentAt: new Date(r.sentMs).toISOString(),
      text: r.text,
      targets: [],
    };
    n.targets.push({
      node: r.node,
      name: dir.tree.get(r.node)?.name ?? r.node,
      receivedAt: r.receivedMs === null ? null : new Date(r.receivedMs).toISOString(),
      receiptSeconds: r.receivedMs === null ? null : Math.round((r.receivedMs - r.sentMs) / 1000),
      late: r.receivedMs === null ? true : r.receivedMs - r.sentMs > r.receiptMinutes * 60_000,
      reminded: r.reminded,
      listed: r.listed,
    });
    byNotice.set(r.id, n);
  }
  const all = raw.length;
  const received = raw.filter((r) => r.receivedMs !== null).length;
  const onTime = raw.filter(
    (r) => r.receivedMs !== null && r.receivedMs - r.sentMs <= r.receiptMinutes * 60_000,
  ).length;
  return { sent: byNotice.size, targets: all, received, onTime, list: [...byNotice.values()] };
}

/** The monthly report of a jurisdiction node (`GET /api/reports/monthly`), in the rating zone's month. */
export async function monthlyReport(
  deps: ReportDeps,
  q: { node: string; month: string },
  onProgress?: (p: ReportProgress) => void,
) {
  const tz = deps.timezone;
  const now = (deps.now?.() ?? new Date()).getTime();
  const { from, to } = monthRange(q.month, tz);
  if (from > now) throw new HttpError(400, 'bad_request', `query.month: ${q.month} has not begun yet`);
  const period: Period = { node: q.node, from, to, asOf: Math.min(to, now) };
  const trendFrom = monthRange(addMonths(q.month, -(TREND_MONTHS - 1)), tz).from;
  const children = [...deps.dir.tree.children(q.node)];
  const units = unitsUnder(deps, q.node);
  const sites = new Set(deps.dir.tree.subtree(q.node));
  const siteIds = deps.dir
    .allSites()
    .filter((s) => sites.has(s.jurisdiction))
    .map((s) => s.id);
  if (to > now) await deps.settle?.();
  const [raw, ratings] = await Promise.all([
    deps.runner.run(
      'monthly',
      {
        period,
        trend: { node: q.node, from: trendFrom, to, asOf: period.asOf },
        groups: children,
        units: units.map((u) => u.id),
        limit: LIST_LIMIT,
      },
      onProgress ? { onProgress } : {},
    ),
    deps.ratings.forSites(siteIds, q.month),
  ]);
  return {
    node: {
      id: q.node,
      name: deps.dir.tree.get(q.node)?.name ?? q.node,
      kind: deps.dir.tree.get(q.node)?.kind ?? null,
    },
    month: q.month,
    timezone: tz,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    asOf: new Date(period.asOf).toISOString(),
    /**
     * When the service made it, by the service's clock: the page's “generated” stamp. The PDF's
     * browser runs apart from the service (and, under `npm run test:at`, on another clock).
     */
    generatedAt: new Date(now).toISOString(),
    /** False for the running month: its figures still change. */
    final: to <= now,
    /** False while history is still being projected (after an upgrade): figures may be short. */
    complete: deps.complete(),
    running: monthOf(now, tz) === q.month,
    figures: shapeFigures(raw.figures, period, { dir: deps.dir, units, children }),
    charts: shapeMonthly(raw, q.month, daysOfMonth(q.month)),
    ratings: shapeRatings(q.month, ratings.final, [...ratings.ratings.values()], deps.dir),
    notices: shapeNotices(raw.notices, deps.dir),
  };
}
export type MonthlyReport = Awaited<ReturnType<typeof monthlyReport>>;
