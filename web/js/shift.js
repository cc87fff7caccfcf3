// Shifts of the hall: day 08:00–20:00, night 20:00–08:00 (local time), as the ring's mute uses them.
import { currentShift } from './sound.js';

/** The shift containing `now`: its key (`2026-5-22-night`), kind, start and end. */
export function shiftOf(now = new Date()) {
  const key = currentShift(now);
  const [y, m, d, kind] = key.split('-');
  const start = new Date(Number(y), Number(m) - 1, Number(d), kind === 'day' ? 8 : 20);
  const end = new Date(start.getTime() + 12 * 3600_000);
  return { key, kind, start, end };
}

/** The shift before `shift`. */
export function previousShift(shift) {
  return shiftOf(new Date(shift.start.getTime() - 60_000));
}
