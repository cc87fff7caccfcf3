import type { RatingsConfig } from '../config/sections/ratings.js';
import { HttpError } from '../errors.js';
import { addMonths, monthOf, monthRange } from '../reports/local-time.js';
import type { Lane, ReportExecutor } from '../reports/report-runner.js';
import { nextTurn } from '../util/next-turn.js';
import { change, countRules, rate, streaks, thresholdsFor } from './rating-rules.js';
import type { RatingStore, StoredRating } from './rating-store.js';

/** A site's rating as the API shows it: the stored (or running) rating, and the issue-4 fields. */
export interface SiteRating extends StoredRating {
  change: 'better' | 'worse' | 'same' | null;
  /** True once the month is over and stored; the running month changes until its end. */
  final: boolean;
  alarms: number;
  falseAlarms: number;
  falseAlarmRate: number;
  troubleTickets: number;
  oldestOpenTroubleHours: number;
}

export interface MonthRatings {
  month: string;
  final: boolean;
  ratings: Map<string, SiteRating>;
}

/** How long the running month's ratings are reused (the map and site lists ask on every load). */
const RUNNING_TTL_MS = 30_000;
/** A finished month not in the history (older than what was kept) is computed on demand and kept a while. */
const PAST_TTL_MS = 300_000;
/**
 * Up to this many sites a stored month is read for those sites alone, and a computed month's changed
 * sites are computed again alone; more, the whole month is read (or computed) and kept a while.
 */
const FEW_SITES = 500;
/** Views built between two turns of the event loop. */
const SLICE = 200;

export function view(r: StoredRating, final: boolean): SiteRating {
  const m = r.measures;
  const alarms = m['alarms'] ?? 0;
  const falseAlarms = m['falseAlarms'] ?? 0;
  return {
    ...r,
    change: change(r.previous, r.rating),
    final,
    alarms,
    falseAlarms,
    falseAlarmRate: alarms > 0 ? Math.round((falseAlarms / alarms) * 1000) / 1000 : 0,
    troubleTickets: m['troubleTickets'] ?? 0,
    oldestOpenTroubleHours: m['oldestOpenTicketHours'] ?? 0,
  };
}

/**
 * Every rating's view by site, `SLICE` at a time with a turn of the event loop between: a district's
 * 4,000 views built at once held the alarm thread some 30 ms on this machine.
 */
async function viewsOf(list: Iterable<StoredRating>, final: boolean): Promise<Map<string, SiteRating>> {
  const out = new Map<string, SiteRating>();
  let n = 0;
  for (const r of list) {
    if (++n % SLICE === 0) await nextTurn();
    out.set(r.site, view(r, final));
  }
  return out;
}

interface Cached {
  at: number;
  ratings: Promise<StoredRating[]>;
  /** The same ratings as views, built once for every request of the cache's life. */
  views?: Promise<Map<string, SiteRating>>;
  /** Sites whose figures changed since these ratings were computed (`touched`). */
  dirty: Set<string>;
}

/** A few sites' ratings computed again, and the sites asked for that are no longer rated. */
interface Patch {
  rated: StoredRating[];
  gone: string[];
}

/** `base` with `patch`'s ratings in their sites' places, and its gone sites left out. */
function patched(base: readonly StoredRating[], patch: Patch): StoredRating[] {
  const bySite = new Map(patch.rated.map((r) => [r.site, r]));
  const gone = new Set(patch.gone);
  const out: StoredRating[] = [];
  for (const r of base) {
    if (gone.has(r.site)) continue;
    out.push(bySite.get(r.site) ?? r);
    bySite.delete(r.site);
  }
  // A site rated for the first time (configured since) goes at the end.
  out.push(...bySite.values());
  return out;
}

/** `views` with `patch`'s sites' views built again; the other views are the same objects. */
function patchedViews(views: ReadonlyMap<string, SiteRating>, patch: Patch): Map<string, SiteRating> {
  const out = new Map(views);
  for (const site of patch.gone) out.delete(site);
  for (const r of patch.rated) out.set(r.site, view(r, false));
  return out;
}

/**
 * Monthly site ratings (issue 19): finished months from the history the month-end maintainer stores,
 * the running month (or a finished month older than the history) computed on demand by the report
 * worker from the configured rules.
 */
export class RatingService {
  /** By month and source: `2026-11:stored` (the history), `2026-12:computed` (the report worker). */
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly deps: {
      runner: ReportExecutor;
      store: RatingStore;
      config: RatingsConfig;
      now?: () => Date;
      /** Waits until the reporting tables hold what is committed (read-your-writes for the running month). */
      settle?: () => Promise<void>;
    },
  ) {}

  get config(): RatingsConfig {
    return this.deps.config;
  }

  private nowMs(): number {
    return (this.deps.now?.() ?? new Date()).getTime();
  }

  currentMonth(): string {
    return monthOf(this.nowMs(), this.deps.config.timezone);
  }

  /** Rates every configured site (or those of `sites`) that existed in `month`, as of the month's end (or now). */
  async compute(month: string, lane: Lane = 'quick', sites?: readonly string[]): Promise<StoredRating[]> {
    const cfg = this.deps.config;
    const { from, to } = monthRange(month, cfg.timezone);
    const now = this.nowMs();
    if (from > now) throw new HttpError(400, 'bad_request', `month ${month} has not begun`);
    const asOf = Math.min(to, now);
    if (to > now) await this.deps.settle?.();
    const [measures, previous] = await Promise.all([
      this.deps.runner.run(
        'ratings',
        { from, to, asOf, counts: countRules(cfg), ...(sites ? { sites: [...sites] } : {}) },
        { lane },
      ),
      this.deps.store.month(addMonths(month, -1), sites),
    ]);
    const computedAt = new Date(now).toISOString();
    return measures.map((s) => {
      const { rating, reasons } = rate(s.values, thresholdsFor(cfg, s.kind));
      const prev = previous.get(s.site);
      const st = streaks(prev, rating);
      const partial = s.firstSeenMs > from;
      return {
        month,
        site: s.site,
        jurisdiction: s.jurisdiction,
        kind: s.kind,
        rating,
        previous: prev?.rating ?? null,
        ...st,
        flagged: st.alertStreak >= cfg.flagAfterMonths,
        partial,
        since: partial ? new Date(s.firstSeenMs).toISOString() : null,
        measures: s.values,
        reasons,
        computedAt,
      };
    });
  }

  /**
   * Ratings of `sites` (every site when omitted) for `month` (the running month when omitted). The
   * views of a month's every site are built once, a slice at a time, and kept with the month's
   * ratings: the desks' site list asks for a district's thousands of sites on every console load.
   */
  async forSites(sites: readonly string[] | undefined, month?: string): Promise<MonthRatings> {
    const m = month ?? this.currentMonth();
    const current = this.currentMonth();
    if (m > current) throw new HttpError(400, 'bad_request', `month ${m} has not begun`);
    const final = m < current && (await this.deps.store.isRated(m));
    if (final && sites && sites.length <= FEW_SITES) {
      const stored = await this.deps.store.month(m, sites);
      return { month: m, final, ratings: await viewsOf(stored.values(), true) };
    }
    const all = await this.views(m, final, m === current);
    if (!sites) return { month: m, final, ratings: new Map(all) };
    const ratings = new Map<string, SiteRating>();
    for (const id of sites) {
      const r = all.get(id);
      if (r) ratings.set(id, r);
    }
    return { month: m, final, ratings };
  }

  /** A site's stored months, newest first, with the running month in front. */
  async history(site: string, months: number): Promise<SiteRating[]> {
    const current = this.currentMonth();
    const stored = await this.deps.store.ofSite(site, addMonths(current, -months));
    const running = (await this.computed(current, true).ratings).find((r) => r.site === site);
    return [...(running ? [view(running, false)] : []), ...stored.map((r) => view(r, true))];
  }

  invalidate(): void {
    this.cache.clear();
  }

  /**
   * The reporting tables changed for `sites` (the reports sink, after each batch). A computed month
   * kept in the cache computes those sites again when next asked, and only those: in a stream of
   * alarms each desk's site list would otherwise wait for the whole district to be rated again
   * (4,000 sites, 0.3–0.5 s of the report worker each time, stop 53).
   */
  touched(sites: Iterable<string>): void {
    const entries = [...this.cache.entries()].filter(([key]) => key.endsWith(':computed'));
    if (entries.length === 0) return;
    for (const site of sites) for (const [, e] of entries) e.dirty.add(site);
  }

  /** Every site's view for `month`, built once per cache of its ratings (stored, or computed). */
  private views(month: string, final: boolean, running: boolean): Promise<Map<string, SiteRating>> {
    const entry = final
      ? this.kept(`${month}:stored`, PAST_TTL_MS, () => this.storedMonth(month))
      : this.computed(month, running);
    entry.views ??= entry.ratings.then((list) => viewsOf(list, final));
    return entry.views;
  }

  /**
   * The running month (or a finished one older than the history), computed by the report worker.
   * Kept ratings whose sites the reports sink has projected since are brought up to date site by
   * site (`patch`).
   */
  private computed(month: string, running: boolean): Cached {
    const key = `${month}:computed`;
    const hit = this.fresh(key, running ? RUNNING_TTL_MS : PAST_TTL_MS);
    if (hit && hit.dirty.size === 0) return hit;
    if (hit && hit.dirty.size <= FEW_SITES) return this.patch(key, hit, month);
    return this.keep(key, () => this.compute(month));
  }

  /**
   * A new cache entry: `hit`'s ratings with its changed sites computed again, and the other sites'
   * views kept as they are. Chained on `hit`, so patches apply in order; sites that change meanwhile
   * go to the new entry's own `dirty`, for the next ask.
   */
  private patch(key: string, hit: Cached, month: string): Cached {
    const sites = [...hit.dirty];
    const done = (async () => {
      const [base, rated] = await Promise.all([hit.ratings, this.compute(month, 'quick', sites)]);
      const got = new Set(rated.map((r) => r.site));
      const patch: Patch = { rated, gone: sites.filter((s) => !got.has(s)) };
      return { patch, list: patched(base, patch) };
    })();
    const next: Cached = { at: hit.at, dirty: new Set(), ratings: done.then((d) => d.list) };
    const views = hit.views;
    if (views) next.views = done.then(async (d) => patchedViews(await views, d.patch));
    return this.store(key, next);
  }

  /** A stored month's every rating, read a page at a time (RatingStore.monthPages). */
  private async storedMonth(month: string): Promise<StoredRating[]> {
    const out: StoredRating[] = [];
    for await (const page of this.deps.store.monthPages(month)) out.push(...page);
    return out;
  }

  private kept(key: string, ttlMs: number, load: () => Promise<StoredRating[]>): Cached {
    return this.fresh(key, ttlMs) ?? this.keep(key, load);
  }

  private fresh(key: string, ttlMs: number): Cached | undefined {
    const hit = this.cache.get(key);
    return hit && Date.now() - hit.at < ttlMs ? hit : undefined;
  }

  private keep(key: string, load: () => Promise<StoredRating[]>): Cached {
    return this.store(key, { at: Date.now(), ratings: load(), dirty: new Set() });
  }

  private store(key: string, entry: Cached): Cached {
    // A failed read or computation is not kept: the next ask tries again.
    entry.ratings.catch(() => {
      if (this.cache.get(key) === entry) this.cache.delete(key);
    });
    this.cache.set(key, entry);
    return entry;
  }
}
