import { describe, expect, it } from 'vitest';
import { localDayHour } from '../../src/reports/local-time.js';

/** The zone's day and hour at `ms`, from the test's own formatter (nothing cached). */
function direct(ms: number, format: Intl.DateTimeFormat): { day: string; hour: number } {
  const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return { day: `${parts['year']}-${parts['month']}-${parts['day']}`, hour: Number(parts['hour']) };
}

describe('localDayHour', () => {
  // Zones whose offsets are not whole hours, or change by half an hour, and ones with summer time:
  // a cache keyed by the UTC hour would put 12:15 UTC in Kathmandu (18:00) in the hour before.
  const zones = [
    'Asia/Shanghai',
    'Asia/Kathmandu',
    'Asia/Kolkata',
    'America/St_Johns',
    'Australia/Lord_Howe',
    'Europe/Berlin',
  ];
  // Across each of 2026's changes of clock in those zones: April and October (south), March and
  // October/November (north).
  const spans = [
    '2026-03-07T00:00:00Z',
    '2026-03-28T00:00:00Z',
    '2026-04-04T00:00:00Z',
    '2026-10-03T00:00:00Z',
    '2026-10-24T00:00:00Z',
    '2026-10-31T00:00:00Z',
  ];

  it.each(zones)(
    '%s: the same day and hour as the zone’s own clock, every 5 minutes across its changes',
    (tz) => {
      const format = new Intl.DateTimeFormat('en-CA', {
        timeZone: tz,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        hourCycle: 'h23',
      });
      let wrong = 0;
      for (const start of spans) {
        // Forwards and then backwards, so that an entry is read from either side of its instant.
        const steps = Array.from({ length: 2 * 24 * 12 }, (_, i) => Date.parse(start) + i * 5 * 60_000);
        for (const ms of [...steps, ...steps.reverse()]) {
          const want = direct(ms, format);
          const got = localDayHour(ms, tz);
          if (got.day !== want.day || got.hour !== want.hour) wrong++;
        }
      }
      expect(wrong).toBe(0);
    },
  );
});
