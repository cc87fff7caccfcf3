import { createHash } from 'node:crypto';
import { BUILT_IN_MEASURES, type RatingsConfig } from '../config/sections/ratings.js';
import type { CountRule } from '../reports/report-queries.js';

export type Colour = 'green' | 'yellow' | 'red';

/** Why a site got its colour: a measure at or above a threshold. */
export interface Reason {
  measure: string;
  value: number;
  threshold: number;
  level: 'red' | 'yellow';
}

export interface Thresholds {
  red: Record<string, number>;
  yellow: Record<string, number>;
}

/** The thresholds of a kind of site: its own red and yellow where given, the default's otherwise. */
export function thresholdsFor(cfg: RatingsConfig, kind: string): Thresholds {
  const own = cfg.thresholds[kind as keyof RatingsConfig['thresholds']];
  const def = cfg.thresholds.default;
  return { red: own?.red ?? def?.red ?? {}, yellow: own?.yellow ?? def?.yellow ?? {} };
}

/** Red when any red threshold is reached, else yellow when any yellow one is, else green. */
export function rate(
  values: Readonly<Record<string, number>>,
  t: Thresholds,
): { rating: Colour; reasons: Reason[] } {
  const reached = (level: 'red' | 'yellow'): Reason[] =>
    Object.entries(t[level])
      .filter(([m, threshold]) => (values[m] ?? 0) >= threshold)
      .map(([measure, threshold]) => ({ measure, value: values[measure] ?? 0, threshold, level }));
  const red = reached('red');
  if (red.length > 0) return { rating: 'red', reasons: red };
  const yellow = reached('yellow');
  if (yellow.length > 0) return { rating: 'yellow', reasons: yellow };
  return { rating: 'green', reasons: [] };
}

/** The configured counts as the report queries take them. */
export function countRules(cfg: RatingsConfig): CountRule[] {
  return Object.entries(cfg.counts).map(([name, c]) => ({
    name,
    kind: c.kind,
    types: c.types,
    outcomes: c.outcomes,
    priorities: c.priorities,
  }));
}

/** Months in a row red, and red or yellow, ending with this one (a missing previous month ends a run). */
export function streaks(
  previous: { redStreak: number; alertStreak: number } | undefined,
  rating: Colour,
): { redStreak: number; alertStreak: number } {
  return {
    redStreak: rating === 'red' ? (previous?.redStreak ?? 0) + 1 : 0,
    alertStreak: rating === 'green' ? 0 : (previous?.alertStreak ?? 0) + 1,
  };
}

const ORDER: Record<Colour, number> = { green: 0, yellow: 1, red: 2 };

export function change(previous: Colour | null, now: Colour): 'better' | 'worse' | 'same' | null {
  if (!previous) return null;
  return ORDER[now] > ORDER[previous] ? 'worse' : ORDER[now] < ORDER[previous] ? 'better' : 'same';
}

/** The rules in one line, for people and for the API's `rule` field. */
export function rulesText(cfg: RatingsConfig): string {
  const level = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, v]) => `${k} >= ${v}`)
      .join(' or ');
  const kinds = Object.keys(cfg.thresholds).map((kind) => {
    const t = thresholdsFor(cfg, kind);
    return `${kind}: red if ${level(t.red) || 'never'}; yellow if ${level(t.yellow) || 'never'}`;
  });
  return `${kinds.join(' | ')}; else green (months in ${cfg.timezone}; flagged after ${cfg.flagAfterMonths} months red or yellow in a row)`;
}

/** The rules as data, for the console to show in the user's language. */
export function rulesView(cfg: RatingsConfig) {
  return {
    timezone: cfg.timezone,
    flagAfterMonths: cfg.flagAfterMonths,
    builtIn: [...BUILT_IN_MEASURES],
    counts: cfg.counts,
    thresholds: Object.fromEntries(Object.keys(cfg.thresholds).map((k) => [k, thresholdsFor(cfg, k)])),
  };
}

/** Identifies the rules a month was rated with (stored beside the month). */
export function rulesHash(cfg: RatingsConfig): string {
  return createHash('sha256')
    .update(JSON.stringify([cfg.timezone, cfg.counts, cfg.thresholds, cfg.flagAfterMonths]))
    .digest('hex')
    .slice(0, 16);
}
