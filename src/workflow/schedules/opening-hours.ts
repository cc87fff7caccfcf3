import { type SiteScheduleConfig, WEEKDAYS } from '../../config/sections/schedules.js';

/** A temporary change entered at the desk (`schedule_changes`), like a configured one. */
export interface HoursChange {
  from: string;
  to: string;
  hours: string;
}

export interface SiteHours {
  tz: string;
  /** Shared and the site's own holidays, YYYY-MM-DD. */
  holidays: ReadonlySet<string>;
  schedule: SiteScheduleConfig;
  /** Desk changes; they win over configured ones (entered later). */
  extra: readonly HoursChange[];
}

export interface Span {
  start: number;
  end: number;
}

const DAY = 86_400_000;

/** Local date parts of an instant in `tz`. */
function localParts(
  ms: number,
  tz: string,
): { y: number; m: number; d: number; hh: number; mm: number; ss: number } {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return {
    y: +p['year']!,
    m: +p['month']!,
    d: +p['day']!,
    hh: +p['hour']!,
    mm: +p['minute']!,
    ss: +p['second']!,
  };
}

/** The local date (YYYY-MM-DD) of an instant. */
export function localDate(ms: number, tz: string): string {
  const p = localParts(ms, tz);
  return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
}

/** The instant of local `date` at `minutes` after its midnight (minutes may reach 24:00 and past). */
export function localInstant(date: string, minutes: number, tz: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d) + minutes * 60_000;
  // The zone's offset at the guess, then once more at the corrected instant (a DST edge moves it).
  let ms = guess;
  for (let i = 0; i < 2; i++) {
    const p = localParts(ms, tz);
    const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.hh, p.mm, p.ss);
    ms = guess - (asUtc - ms);
  }
  return ms;
}

function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + n * DAY).toISOString().slice(0, 10);
}

const toMin = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

/** The hours string that applies on a local date: holiday, then changes (desk first), then the weekday. */
export function hoursOn(h: SiteHours, date: string): string {
  if (h.holidays.has(date)) return 'closed';
  const covering = (c: { from: string; to?: string }) => c.from <= date && date <= (c.to ?? c.from);
  const desk = [...h.extra].reverse().find(covering);
  if (desk) return desk.hours;
  const configured = [...h.schedule.changes].reverse().find(covering);
  if (configured) return configured.hours;
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const weekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]!;
  return h.schedule.hours[weekday] ?? 'closed';
}

/** The opening spans that begin on a local date (an end before its start runs past midnight). */
export function spansOn(h: SiteHours, date: string): Span[] {
  const hours = hoursOn(h, date);
  if (hours === 'closed') return [];
  return hours.split(',').map((r) => {
    const [a, b] = r.split('-') as [string, string];
    const start = toMin(a);
    let end = toMin(b);
    if (end <= start) end += 24 * 60;
    return { start: localInstant(date, start, h.tz), end: localInstant(date, end, h.tz) };
  });
}

/** Spans beginning on the local days around an instant (yesterday's may run past midnight). */
export function spansAround(h: SiteHours, ms: number): Span[] {
  const today = localDate(ms, h.tz);
  return [-1, 0, 1].flatMap((n) => spansOn(h, addDays(today, n)));
}

/** Whether a disarm at `ms` is expected: within the hours, or up to openEarlyMinutes before. */
export function disarmExpected(h: SiteHours, ms: number): boolean {
  const early = h.schedule.openEarlyMinutes * 60_000;
  return spansAround(h, ms).some((s) => s.start - early <= ms && ms < s.end);
}

/**
 * The closing (end of a span) whose grace ran out most recently at `ms`, within `lookbackMs`, if the
 * site is closed now (a site open again is not late): the site should have been armed by then.
 */
export function lastClosing(h: SiteHours, ms: number, lookbackMs: number): number | undefined {
  const grace = h.schedule.closeGraceMinutes * 60_000;
  const spans = spansAround(h, ms);
  if (spans.some((s) => s.start <= ms && ms < s.end)) return undefined;
  const due = spans.map((s) => s.end).filter((end) => end + grace <= ms && ms - end <= lookbackMs);
  return due.length > 0 ? Math.max(...due) : undefined;
}
