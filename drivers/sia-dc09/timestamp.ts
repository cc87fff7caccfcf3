/**
 * The DC-09 timestamp `_HH:MM:SS,MM-DD-YYYY` (5.5.1.9), in UTC. Panels that send their local time
 * instead are read with `offsetMinutes` (how far their clock is ahead of UTC), and answered in it.
 */
const PATTERN = /^(\d{2}):(\d{2}):(\d{2}),(\d{2})-(\d{2})-(\d{4})$/;

const two = (n: number) => String(n).padStart(2, '0');

/** `HH:MM:SS,MM-DD-YYYY` (without the leading `_`) of `ms` on a clock `offsetMinutes` ahead of UTC. */
export function formatTimestamp(ms: number, offsetMinutes = 0): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  return (
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())},` +
    `${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}-${d.getUTCFullYear()}`
  );
}

/** Epoch ms of a timestamp text (without `_`), or `undefined` when it is not a real time and date. */
export function parseTimestamp(text: string, offsetMinutes = 0): number | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const [hh = 0, mi = 0, ss = 0, mo = 0, dd = 0, yyyy = 0] = m.slice(1).map(Number);
  if (hh > 23 || mi > 59 || ss > 59 || mo < 1 || mo > 12 || dd < 1 || dd > 31) return undefined;
  const ms = Date.UTC(yyyy, mo - 1, dd, hh, mi, ss);
  // Date.UTC rolls 02-31 over into March; a panel that sends it has a broken clock, not a date.
  if (new Date(ms).getUTCDate() !== dd) return undefined;
  return ms - offsetMinutes * 60_000;
}

/** `+08:00` → 480. */
export function parseUtcOffset(text: string): number | undefined {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) > 59 || minutes > 14 * 60) return undefined;
  return m[1] === '-' ? -minutes : minutes;
}
