import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// The console's zone helpers and shifts are plain modules, imported here as the browser imports them;
// this process runs in the machine's zone (UTC here), not the city's, as a desk PC left on UTC would.
import { currentShift, previousShift, shiftOf } from '../../web/js/shift.js';
import {
  hallZone,
  instantAt,
  monthOf,
  monthZone,
  offsetAt,
  parseWall,
  setZones,
  wallIso,
  wallParts,
} from '../../web/js/zone.js';

const at = (iso: string) => Date.parse(iso);
const SHANGHAI = { hall: 'Asia/Shanghai', months: 'Asia/Shanghai' };

describe('the console’s clock in the city’s zone (web/js/zone.js)', () => {
  beforeEach(() => setZones(SHANGHAI, { remember: false }));
  afterEach(() => setZones(SHANGHAI, { remember: false }));

  it.each([
    // [instant, Shanghai's wall clock, month]: a minute either side of Shanghai's midnight at a
    // month's end and at the year's, when UTC (and a desk PC in it) is still on the day before.
    ['2026-05-31T15:59:59.999Z', '2026-05-31T23:59:59.999', '2026-05'],
    ['2026-05-31T16:00:00.000Z', '2026-06-01T00:00:00.000', '2026-06'],
    ['2026-12-31T15:50:00.000Z', '2026-12-31T23:50:00.000', '2026-12'],
    ['2026-12-31T16:10:00.000Z', '2027-01-01T00:10:00.000', '2027-01'],
    ['2027-02-28T16:00:00.000Z', '2027-03-01T00:00:00.000', '2027-03'],
  ])('%s is %s in Shanghai, month %s', (iso, wall, month) => {
    expect(wallIso(at(iso))).toBe(wall);
    expect(monthOf(at(iso))).toBe(month);
    expect(offsetAt(at(iso))).toBe(8 * 3_600_000);
    // And back: a datetime-local value typed at the desk is Shanghai's wall time.
    expect(new Date(parseWall(wall)).toISOString()).toBe(iso);
    expect(new Date(parseWall(wall.slice(0, 16))).toISOString()).toBe(`${iso.slice(0, 16)}:00.000Z`);
  });

  it('runs fields over as Date.UTC does, and refuses a day the month lacks', () => {
    expect(new Date(instantAt({ year: 2027, month: 1, day: 0, hour: 20 })).toISOString()).toBe(
      '2026-12-31T12:00:00.000Z',
    );
    expect(new Date(instantAt({ year: 2026, month: 13, day: 1 })).toISOString()).toBe(
      '2026-12-31T16:00:00.000Z',
    );
    expect(parseWall('2026-02-29T00:00')).toBeNaN();
    expect(parseWall('2026-12-31 23:50')).toBeNaN();
    expect(parseWall('')).toBeNaN();
  });

  it.each([
    // [instant, shift key, start, end] of the hall's shifts: day 08–20, night 20–08 Shanghai time.
    ['2026-12-31T11:59:00Z', '2026-12-31-day', '2026-12-31T00:00:00.000Z', '2026-12-31T12:00:00.000Z'],
    ['2026-12-31T12:00:00Z', '2026-12-31-night', '2026-12-31T12:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2026-12-31T15:50:00Z', '2026-12-31-night', '2026-12-31T12:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    // After midnight on New Year's Day the night is still New Year's Eve's.
    ['2026-12-31T16:10:00Z', '2026-12-31-night', '2026-12-31T12:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2027-01-01T00:00:00Z', '2027-1-1-day', '2027-01-01T00:00:00.000Z', '2027-01-01T12:00:00.000Z'],
    ['2026-05-31T23:30:00Z', '2026-5-31-night', '2026-05-31T12:00:00.000Z', '2026-06-01T00:00:00.000Z'],
  ])('at %s the hall is on shift %s (%s – %s)', (iso, key, start, end) => {
    const shift = shiftOf(new Date(iso));
    expect(currentShift(new Date(iso))).toBe(key);
    expect([shift.key, shift.start.toISOString(), shift.end.toISOString()]).toEqual([key, start, end]);
    expect(previousShift(shift).end.toISOString()).toBe(start);
  });

  it('takes the month of reports from ratings’ zone and the day from schedules’', () => {
    setZones({ hall: 'Asia/Shanghai', months: 'America/New_York' }, { remember: false });
    expect([hallZone(), monthZone()]).toEqual(['Asia/Shanghai', 'America/New_York']);
    // Shanghai's 1 June 00:30 is New York's 31 May, 12:30.
    expect(monthOf(at('2026-05-31T16:30:00Z'))).toBe('2026-05');
    expect(currentShift(new Date('2026-05-31T16:30:00Z'))).toBe('2026-5-31-night');
    expect(wallParts(at('2026-05-31T16:30:00Z'), monthZone())).toMatchObject({ month: 5, day: 31, hour: 12 });
  });

  it('keeps the zones it was told when they are to be remembered', () => {
    const store = new Map<string, string>();
    const g = globalThis as { localStorage?: unknown };
    g.localStorage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
    };
    try {
      setZones({ hall: 'Asia/Urumqi', months: 'Asia/Shanghai' });
      expect(JSON.parse(store.get('sharpeyes.zones') ?? '{}')).toEqual({
        hall: 'Asia/Urumqi',
        months: 'Asia/Shanghai',
      });
      // An answer without zones (an older server) leaves them as they were.
      setZones(undefined);
      expect(hallZone()).toBe('Asia/Urumqi');
    } finally {
      delete g.localStorage;
    }
  });
});
