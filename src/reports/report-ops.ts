import type { Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';
import {
  byDay,
  byHour,
  type CountRule,
  distributions,
  incidentCounts,
  monthlyTrend,
  noticeReceipts,
  offlineTime,
  type Period,
  ratingMeasures,
  responseSpreads,
  siteFalseAlarms,
  unansweredEscalations,
  unitFigures,
} from './report-queries.js';

/** Figures of a node for a period (before names and seconds are put on them, in figures.ts). */
export interface FiguresParams {
  period: Period;
  /** Groups besides the node itself: its children, or the stations of the legacy report. */
  groups: string[];
  units: string[];
  limit: number;
}

export type Progress = (done: number, total: number, step: string) => void;

async function figures(db: Kysely<DB>, p: FiguresParams, progress: Progress, base = 0, total = 6) {
  const groups = [p.period.node, ...p.groups];
  progress(base, total, 'counts');
  const counts = await incidentCounts(db, p.period, groups);
  progress(base + 1, total, 'response');
  const response = await responseSpreads(db, p.period, groups);
  progress(base + 2, total, 'units');
  const units = await unitFigures(db, p.period, p.units);
  progress(base + 3, total, 'sites');
  const sites = await siteFalseAlarms(db, p.period, p.limit);
  progress(base + 4, total, 'escalations');
  const escalations = await unansweredEscalations(db, p.period, p.limit);
  progress(base + 5, total, 'offline');
  const offline = await offlineTime(db, p.period, p.limit);
  return { counts, response, units, sites, escalations, offline };
}
export type FiguresRaw = Awaited<ReturnType<typeof figures>>;

export interface MonthlyParams extends FiguresParams {
  /** The months the trend covers (the report's month and those before it). */
  trend: Period;
}

async function monthly(db: Kysely<DB>, p: MonthlyParams, progress: Progress) {
  const total = 11;
  const f = await figures(db, p, progress, 0, total);
  progress(6, total, 'days');
  const days = await byDay(db, p.period);
  progress(7, total, 'hours');
  const hours = await byHour(db, p.period);
  progress(8, total, 'distributions');
  const dist = await distributions(db, p.period);
  progress(9, total, 'trend');
  const trend = await monthlyTrend(db, p.trend);
  progress(10, total, 'notices');
  const notices = await noticeReceipts(db, p.period);
  progress(11, total, 'done');
  return { figures: f, days, hours, distributions: dist, trend, notices };
}
export type MonthlyRaw = Awaited<ReturnType<typeof monthly>>;

export interface RatingsParams {
  node?: string | undefined;
  sites?: string[] | undefined;
  from: number;
  to: number;
  asOf: number;
  counts: CountRule[];
}

/** What the worker can be asked: each op reads only, and answers JSON-able data. */
export const OPS = {
  figures: (db: Kysely<DB>, p: FiguresParams, progress: Progress) => figures(db, p, progress),
  monthly,
  ratings: (db: Kysely<DB>, p: RatingsParams) => ratingMeasures(db, p, p.counts),
  /** Sleeps on the worker thread (tests use it to prove a busy worker does not hold up the alarm path). */
  spin: async (_db: Kysely<DB>, p: { ms: number }) => {
    const end = Date.now() + p.ms;
    while (Date.now() < end) {
      // Busy on purpose: stands in for a long query.
    }
    return { ms: p.ms };
  },
} as const;

export type OpName = keyof typeof OPS;
export type OpParams<K extends OpName> = Parameters<(typeof OPS)[K]>[1];
export type OpResult<K extends OpName> = Awaited<ReturnType<(typeof OPS)[K]>>;
