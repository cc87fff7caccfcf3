// Shifts of the hall: day 08:00–20:00, night 20:00–08:00 on the city's clock (zone.js, not the desk
// PC's), as the ring's mute and the handover use them.
import { addDays, hallZone, instantAt, wallParts } from './zone.js';

/** The key of the shift containing `now`: `2026-5-22-day`, `2026-5-22-night` (until 08:00 on the 23rd). */
export function currentShift(now = new Date(), tz = hallZone()) {
  const p = wallParts(new Date(now).getTime(), tz);
  const d = p.hour < 8 ? addDays(p, -1) : p;
  return `${d.year}-${d.month}-${d.day}-${p.hour >= 8 && p.hour < 20 ? 'day' : 'night'}`;
}

/** The shift containing `now`: its key (`2026-5-22-night`), kind, start and end. */
export function shiftOf(now = new Date(), tz = hallZone()) {
  const key = currentShift(now, tz);
  const [year, month, day, kind] = key.split('-');
  const first = { year: Number(year), month: Number(month), day: Number(day) };
  const next = addDays(first, 1);
  const start = new Date(instantAt({ ...first, hour: kind === 'day' ? 8 : 20 }, tz));
  const end = new Date(
    kind === 'day' ? instantAt({ ...first, hour: 20 }, tz) : instantAt({ ...next, hour: 8 }, tz),
  );
  return { key, kind, start, end };
}

/** The shift before `shift`. */
export function previousShift(shift, tz = hallZone()) {
  return shiftOf(new Date(shift.start.getTime() - 60_000), tz);
}
