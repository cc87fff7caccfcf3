// The city's time zones. A duty desk shows the centre's days, shifts, months and clock times, never
// the desk PC's own zone: a PC left on UTC would otherwise show the wrong shift, handover window,
// report month and times. The server names the zones in `GET /api/me` (`zones: {hall, months}`):
// `hall` (schedules.timezone) for days, shifts and times, `months` (ratings.timezone) for the rated
// and reported calendar months. localStorage keeps the last ones told, for the clock before a login
// and for pages that open on their own (wall.html); until the server has told this browser, the
// browser's zone is all there is.
const KEY = 'sharpeyes.zones';
const browserZone = () => new Intl.DateTimeFormat().resolvedOptions().timeZone;

let zones = remembered();

function remembered() {
  try {
    const z = JSON.parse(globalThis.localStorage?.getItem(KEY) ?? 'null');
    return typeof z?.hall === 'string' && typeof z?.months === 'string' ? z : undefined;
  } catch (err) {
    // A value another version wrote: the next login writes it again.
    console.warn('console: zones', err);
    return undefined;
  }
}

/** Takes the zones `GET /api/me` names; `remember: false` for a page showing another zone's data. */
export function setZones(next, { remember = true } = {}) {
  if (typeof next?.hall !== 'string') return;
  zones = { hall: next.hall, months: typeof next.months === 'string' ? next.months : next.hall };
  if (remember) globalThis.localStorage?.setItem(KEY, JSON.stringify(zones));
}

/** The zone of the hall's days, shifts and clock times. */
export const hallZone = () => zones?.hall ?? browserZone();
/** The zone whose calendar months are rated and reported. */
export const monthZone = () => zones?.months ?? hallZone();

// Intl.DateTimeFormat is slow to build (the queue formats hundreds of times a second at 300 rows).
const formats = new Map();

/** A cached `Intl.DateTimeFormat(lang, {...options, timeZone: tz})`. */
export function formatIn(lang, options, tz = hallZone()) {
  const key = `${lang}|${tz}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, { ...options, timeZone: tz });
    formats.set(key, f);
  }
  return f;
}

const CLOCK = { hour12: false, hour: 'numeric', minute: 'numeric', second: 'numeric' };
/** `21:40:03` on the city's clock, as `toLocaleTimeString(lang, {hour12: false})` words it. */
export const clockText = (at, lang) => formatIn(lang, CLOCK).format(new Date(at));

const NUMERIC = {
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
};

/** The wall clock of `tz` at `ms`: `{year, month (1–12), day, hour (0–23), minute, second, ms}`. */
export function wallParts(ms, tz = hallZone()) {
  const out = { ms: ((ms % 1000) + 1000) % 1000 };
  for (const p of formatIn('en-US', NUMERIC, tz).formatToParts(ms))
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** How far the wall clock of `tz` is ahead of UTC at `ms` (Shanghai: 8 h). */
export function offsetAt(ms, tz = hallZone()) {
  const p = wallParts(ms, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, p.ms) - ms;
}

/**
 * The instant a wall clock of `tz` reads `{year, month (1–12), day, hour, minute, second, ms}`; fields
 * may run over as in `Date.UTC` (day 0 is the month's last day before). In a summer-time gap, the
 * instant after it.
 */
export function instantAt(
  { year, month, day = 1, hour = 0, minute = 0, second = 0, ms = 0 },
  tz = hallZone(),
) {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const guess = wall - offsetAt(wall, tz);
  const offset = offsetAt(guess, tz);
  const at = wall - offset;
  // In a gap the second guess lands before it, on the old offset: the first is the instant after.
  return offsetAt(at, tz) === offset ? at : guess;
}

/** The calendar day `{year, month, day}` that is `days` after the given one (zone-free). */
export function addDays({ year, month, day }, days) {
  const d = new Date(Date.UTC(year, month - 1, day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** `2026-12-02T11:04:05.267` on the wall clock of `tz`: slices fill `datetime-local` inputs. */
export function wallIso(ms, tz = hallZone()) {
  const p = wallParts(ms, tz);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.${pad(p.ms, 3)}`;
}

/** The instant of a `datetime-local` value (`2026-12-02T11:04[:05[.267]]`) read in `tz`; NaN if unreadable. */
export function parseWall(value, tz = hallZone()) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(value ?? '');
  if (!m) return Number.NaN;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0));
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return Number.NaN;
  // A day the month does not have (02-30) is unreadable, not the 2nd of the next month.
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return Number.NaN;
  return instantAt({ year, month, day, hour, minute, second, ms: Number((m[7] ?? '0').padEnd(3, '0')) }, tz);
}

/** The month (`2026-05`) of `ms` in the zone of rated months (or `tz`). */
export function monthOf(ms, tz = monthZone()) {
  const p = wallParts(ms, tz);
  return `${p.year}-${pad(p.month)}`;
}
