import type { Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';
import { keysetPages } from '../util/keyset-pages.js';
import type { Colour, Reason } from './rating-rules.js';

/** A site's rating for a month as stored (issue 19 history). */
export interface StoredRating {
  month: string;
  site: string;
  jurisdiction: string;
  kind: string;
  rating: Colour;
  previous: Colour | null;
  redStreak: number;
  alertStreak: number;
  flagged: boolean;
  partial: boolean;
  /** A site that came during the month: since when (ISO); null for a whole month. */
  since: string | null;
  measures: Record<string, number>;
  reasons: Reason[];
  computedAt: string;
}

type Row = DB['rating_history'];

function fromRow(r: Row): StoredRating {
  return {
    month: r.month,
    site: r.site,
    jurisdiction: r.jurisdiction,
    kind: r.kind,
    rating: r.rating as Colour,
    previous: r.previous as Colour | null,
    redStreak: Number(r.red_streak),
    alertStreak: Number(r.alert_streak),
    flagged: Number(r.flagged) === 1,
    partial: Number(r.partial) === 1,
    since: r.since_ms === null ? null : new Date(Number(r.since_ms)).toISOString(),
    measures: JSON.parse(r.measures) as Record<string, number>,
    reasons: JSON.parse(r.reasons) as Reason[],
    computedAt: r.computed_at,
  };
}

/** The rating history (migration 091). Small indexed reads by month or site; one write per month. */
export class RatingStore {
  constructor(private readonly k: Kysely<DB>) {}

  /** The newest rated month, if any. */
  async latestMonth(): Promise<string | undefined> {
    const r = await this.k
      .selectFrom('rating_months')
      .select((eb) => eb.fn.max('month').as('month'))
      .executeTakeFirst();
    return r?.month ?? undefined;
  }

  async isRated(month: string): Promise<boolean> {
    const r = await this.k
      .selectFrom('rating_months')
      .select('month')
      .where('month', '=', month)
      .executeTakeFirst();
    return r !== undefined;
  }

  async month(month: string, sites?: readonly string[]): Promise<Map<string, StoredRating>> {
    let q = this.k.selectFrom('rating_history').selectAll().where('month', '=', month);
    if (sites && sites.length <= 500) q = q.where('site', 'in', sites.length > 0 ? [...sites] : ['']);
    const rows = await q.execute();
    return new Map(rows.map((r) => [r.site, fromRow(r)]));
  }

  /**
   * A month's every rating, in pages of `page` by site with a turn of the event loop between: a
   * district's 4,000 rows, each with two JSON columns to parse, never hold the alarm thread at once.
   */
  monthPages(month: string, page = 200): AsyncGenerator<StoredRating[]> {
    return keysetPages({
      read: (after: string, limit) =>
        this.k
          .selectFrom('rating_history')
          .selectAll()
          .where('month', '=', month)
          .where('site', '>', after)
          .orderBy('site')
          .limit(limit)
          .execute(),
      first: '',
      key: (r) => r.site,
      map: fromRow,
      page,
    });
  }

  async ofSite(site: string, fromMonth: string): Promise<StoredRating[]> {
    const rows = await this.k
      .selectFrom('rating_history')
      .selectAll()
      .where('site', '=', site)
      .where('month', '>=', fromMonth)
      .orderBy('month', 'desc')
      .execute();
    return rows.map(fromRow);
  }

  /**
   * Stores a month's ratings once: the month's row is inserted first, and a month another node has
   * stored already makes this a no-op (false).
   */
  async storeMonth(
    month: string,
    meta: { timezone: string; rulesHash: string; computedAt: string },
    ratings: readonly StoredRating[],
  ): Promise<boolean> {
    return this.k.transaction().execute(async (tx) => {
      const res = await tx
        .insertInto('rating_months')
        .values({
          month,
          timezone: meta.timezone,
          rules_hash: meta.rulesHash,
          sites: ratings.length,
          computed_at: meta.computedAt,
        })
        .onConflict((oc) => oc.column('month').doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0n) !== 1) return false;
      for (let i = 0; i < ratings.length; i += 100) {
        await tx
          .insertInto('rating_history')
          .values(
            ratings.slice(i, i + 100).map((r) => ({
              month: r.month,
              site: r.site,
              jurisdiction: r.jurisdiction,
              kind: r.kind,
              rating: r.rating,
              previous: r.previous,
              red_streak: r.redStreak,
              alert_streak: r.alertStreak,
              flagged: r.flagged ? 1 : 0,
              partial: r.partial ? 1 : 0,
              since_ms: r.since ? Date.parse(r.since) : null,
              measures: JSON.stringify(r.measures),
              reasons: JSON.stringify(r.reasons),
              computed_at: r.computedAt,
            })),
          )
          .execute();
      }
      return true;
    });
  }
}
