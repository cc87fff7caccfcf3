import { SharpeyesError } from '../errors.js';

/**
 * Calendar arithmetic in the rating zone (Asia/Shanghai by default). Months and days are the zone's,
 * so an alarm at 07:30 on 1 March Beijing time belongs to March even though it is still February in
 * UTC. Works for zones with daylight saving too: offsets are looked up at the instant in question.
 */
export const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock reading in `tz` at instant `ms`. */
export function localParts(ms: number, tz: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms)))
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  return {
    year: out['year']!,
    month: out['month']!,
    day: out['day']!,
    hour: out['hour']!,
    minute: out['minute']!,
    second: out['second']!,
  };
}

/** Milliseconds the zone is ahead of UTC at instant `ms`. */
function offsetAt(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant the zone's clocks read midnight starting `y-m-d` (month may overflow: 13 = next January). */
export function localMidnight(y: number, m: number, d: number, tz: string): number {
  const wall = Date.UTC(y, m - 1, d);
  let t = wall - offsetAt(wall, tz);
  // Once more at the guess: the offset at local midnight may differ from the one at UTC midnight.
  t = wall - offsetAt(t, tz);
  return t;
}

export function parseMonth(month: string): { year: number; month: number } {
  if (!MONTH_PATTERN.test(month)) throw new SharpeyesError('reports', `not a month (YYYY-MM): ${month}`);
  const [y, m] = month.split('-').map(Number) as [number, number];
  return { year: y, month: m };
}

/** `[from, to)` in epoch ms of a calendar month in `tz`. */
export function monthRange(month: string, tz: string): { from: number; to: number } {
  const { year, month: m } = parseMonth(month);
  return { from: localMidnight(year, m, 1, tz), to: localMidnight(year, m + 1, 1, tz) };
}

/** The month (`YYYY-MM`) containing instant `ms` in `tz`. */
export function monthOf(ms: number, tz: string): string {
  const p = localParts(ms, tz);
  return `${p.year}-${String(p.month).padStart(2, '0')}`;
}

/** The month `n` months after `month` (negative: before). */
export function addMonths(month: string, n: number): string {
  const { year, month: m } = parseMonth(month);
  const i = year * 12 + (m - 1) + n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

/** Months from `a` to `b` inclusive, in order (empty when a > b). */
export function monthsBetween(a: string, b: string): string[] {
  const out: string[] = [];
  for (let m = a; m <= b; m = addMonths(m, 1)) out.push(m);
  return out;
}

/** `YYYY-MM-DD` and the hour of instant `ms` in `tz`: the buckets of the by-day and by-hour charts. */
export function localDayHour(ms: number, tz: string): { day: string; hour: number } {
  // Zones' offsets and their changes fall on quarter hours, so every instant of a UTC quarter hour
  // has the same local day and hour: one formatToParts (about 20 µs) per quarter, not per incident.
  const key = `${tz} ${Math.floor(ms / QUARTER_HOUR)}`;
  const hit = dayHours.get(key);
  if (hit) return hit;
  const p = localParts(ms, tz);
  const out = {
    day: `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`,
    hour: p.hour,
  };
  if (dayHours.size >= 4096) dayHours.clear();
  dayHours.set(key, out);
  return out;
}

const QUARTER_HOUR = 15 * 60_000;
const dayHours = new Map<string, { day: string; hour: number }>();

/** Every day (`YYYY-MM-DD`) of a month, for charts that show the quiet days too. */
export function daysOfMonth(month: string): string[] {
  const { year, month: m } = parseMonth(month);
  const n = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return Array.from({ length: n }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}
