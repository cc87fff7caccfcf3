import { describe, expect, it } from 'vitest';
import { siteScheduleSchema } from '../../../src/config/sections/schedules.js';
import {
  disarmExpected,
  lastClosing,
  type SiteHours,
} from '../../../src/workflow/schedules/opening-hours.js';

/** A bar open across midnight (Fri/Sat 18:00-02:00, other days 18:00-23:00), closed Mondays. */
const bar: SiteHours = {
  tz: 'Asia/Shanghai',
  holidays: new Set(['2026-10-01']),
  schedule: siteScheduleSchema.parse({
    hours: {
      tue: '18:00-23:00',
      wed: '18:00-23:00',
      thu: '18:00-23:00',
      fri: '18:00-02:00',
      sat: '18:00-02:00',
      sun: '10:00-14:00,18:00-23:00',
    },
    changes: [{ from: '2026-12-24', hours: '18:00-04:00', reason: '平安夜' }],
    openEarlyMinutes: 30,
    closeGraceMinutes: 15,
  }),
  extra: [{ from: '2026-12-09', to: '2026-12-09', hours: 'closed' }],
};
/** Beijing time (UTC+8) as an instant. */
const bj = (iso: string) => Date.parse(`${iso}+08:00`);

describe('opening hours (Asia/Shanghai)', () => {
  // 2026-12-04 is a Friday, 2026-12-07 a Monday, 2026-10-01 (National Day, a Thursday) a holiday.
  it.each([
    ['Fri 17:29 (before the early half hour)', '2026-12-04T17:29:00', false],
    ['Fri 17:30 (opening early)', '2026-12-04T17:30:00', true],
    ['Fri 23:59', '2026-12-04T23:59:00', true],
    ['Sat 01:59 (Friday night past midnight)', '2026-12-05T01:59:00', true],
    ['Sat 02:00 (closed)', '2026-12-05T02:00:00', false],
    ['Sun 12:00 (lunch span)', '2026-12-06T12:00:00', true],
    ['Sun 15:00 (between spans)', '2026-12-06T15:00:00', false],
    ['Mon 19:00 (closed all day)', '2026-12-07T19:00:00', false],
    ['Thu 1 Oct 19:00 (holiday)', '2026-10-01T19:00:00', false],
    ['Wed 9 Dec 19:00 (closed by the desk)', '2026-12-09T19:00:00', false],
    ['Thu 24 Dec 03:00 (before the change starts)', '2026-12-24T03:00:00', false],
    ['Fri 25 Dec 03:30 (Christmas Eve change past midnight)', '2026-12-25T03:30:00', true],
  ])('a disarm %s is expected: %s', (_what, at, expected) => {
    expect(disarmExpected(bar, bj(at))).toBe(expected);
  });

  it.each([
    ['Fri 23:10 (open)', '2026-12-04T23:10:00', undefined],
    ['Sat 02:14 (within the grace)', '2026-12-05T02:14:00', undefined],
    ['Sat 02:15 (grace over)', '2026-12-05T02:15:00', '2026-12-05T02:00:00'],
    ['Thu 23:20', '2026-12-03T23:20:00', '2026-12-03T23:00:00'],
    ['Sun 14:30 (after the lunch span)', '2026-12-06T14:30:00', '2026-12-06T14:00:00'],
    ['Tue 17:00 (Monday closed, Sunday too long ago)', '2026-12-08T17:00:00', undefined],
    ['Thu 1 Oct 23:30 (holiday: no closing)', '2026-10-01T23:30:00', undefined],
  ])('late to close at %s: closing %s', (_what, at, closing) => {
    const c = lastClosing(bar, bj(at), 12 * 3600_000);
    expect(c === undefined ? undefined : new Date(c).toISOString()).toBe(
      closing === undefined ? undefined : new Date(bj(closing)).toISOString(),
    );
  });
});
