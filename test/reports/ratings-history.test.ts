import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { RatingMaintainer } from '../../src/ratings/rating-maintainer.js';
import { type ReportFixture, reportFixture } from './report-fixture.js';
import { alarms, seedIncidents } from './seed-history.js';

// Months are Beijing months (ratings.timezone defaults to Asia/Shanghai).
const NOW = '2026-12-02T12:00:00+08:00';
let fx: ReportFixture;

beforeAll(async () => {
  fx = await reportFixture({
    now: NOW,
    firstSync: '2026-07-01T00:00:00+08:00',
    bankAdded: '2026-09-15T10:00:00+08:00',
  });
  await seedIncidents(fx.store.k, [
    // August: nothing at all.
    // September
    ...alarms('sep-shop', 'shop-1', 'north-grid-1', '2026-09-10T09:00:00+08:00', 1, {
      closed: '2026-09-10T10:00:00+08:00',
    }),
    {
      id: 'sep-school-fa',
      site: 'school-2',
      jurisdiction: 'south',
      type: 'intrusion',
      state: 'false_alarm',
      opened: '2026-09-11T20:00:00+08:00',
      closed: '2026-09-11T20:10:00+08:00',
    },
    // Opened on the last evening of September, closed in October: it belongs to September.
    {
      id: 'boundary-bank',
      site: 'bank-3',
      jurisdiction: 'south',
      type: 'panic',
      confirmed: true,
      opened: '2026-09-30T23:50:00+08:00',
      closed: '2026-10-01T00:20:00+08:00',
    },
    // October: shop-1 red (3 confirmed), plus a false alarm that is not property crime.
    ...alarms('oct-shop', 'shop-1', 'north-grid-1', '2026-10-05T09:00:00+08:00', 3, {
      closed: '2026-10-05T11:00:00+08:00',
    }),
    {
      id: 'oct-shop-fa',
      site: 'shop-1',
      jurisdiction: 'north-grid-1',
      type: 'intrusion',
      confirmed: true,
      state: 'false_alarm',
      opened: '2026-10-06T09:00:00+08:00',
      closed: '2026-10-06T09:30:00+08:00',
    },
    // school-2: a trouble ticket open across the month's end for 96 hours by then.
    {
      id: 'oct-school-ticket',
      site: 'school-2',
      jurisdiction: 'south',
      kind: 'maintenance',
      type: 'trouble',
      opened: '2026-10-28T00:00:00+08:00',
      closed: '2026-11-03T00:00:00+08:00',
    },
    // November: 01:30 on 1 November in Beijing is still 31 October in UTC.
    ...alarms('nov-shop', 'shop-1', 'north-grid-1', '2026-10-31T17:30:00Z', 3, {
      closed: '2026-11-01T03:00:00+08:00',
    }),
    // December (the running month)
    ...alarms('dec-shop', 'shop-1', 'north-grid-1', '2026-12-01T08:00:00+08:00', 1),
  ]);
  await fx.project();
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

describe('monthly ratings from a seeded history', () => {
  it('rates each finished month once, in order, at start', async () => {
    const maintainer = new RatingMaintainer({
      service: fx.ratings,
      store: fx.ratingStore,
      config: fx.config.ratings,
      log: silentLogger,
      metrics: new Metrics({ defaults: false }),
      ready: () => true,
      now: () => new Date(NOW),
    });
    expect(await maintainer.check()).toEqual(['2026-08', '2026-09', '2026-10', '2026-11']);
    // Derived from stored months: a second check (or a restart) rates nothing again.
    expect(await maintainer.check()).toEqual([]);
  });

  const rated = async (month: string) => (await fx.ratings.forSites(undefined, month)).ratings;

  it('a month with no incidents is green for every site that existed, and leaves out a site not there yet', async () => {
    const aug = await rated('2026-08');
    expect([...aug.keys()].sort()).toEqual(['school-2', 'shop-1']);
    for (const r of aug.values())
      expect(r).toMatchObject({ rating: 'green', final: true, previous: null, alarms: 0 });
  });

  it.each([
    // month, site, rating, redStreak, alertStreak, flagged, some measures
    ['2026-09', 'shop-1', 'yellow', 0, 1, false, { propertyCrime: 1, alarms: 1 }],
    ['2026-09', 'school-2', 'yellow', 0, 1, false, { propertyCrime: 0, falseAlarms: 1 }],
    ['2026-09', 'bank-3', 'yellow', 0, 1, false, { propertyCrime: 1 }],
    ['2026-10', 'shop-1', 'red', 1, 2, true, { propertyCrime: 3, falseAlarms: 1, alarms: 4 }],
    [
      '2026-10',
      'school-2',
      'red',
      1,
      2,
      true,
      { troubleTickets: 1, openTickets: 1, oldestOpenTicketHours: 96 },
    ],
    ['2026-10', 'bank-3', 'green', 0, 0, false, { propertyCrime: 0, alarms: 0 }],
    ['2026-11', 'shop-1', 'red', 2, 3, true, { propertyCrime: 3 }],
    ['2026-11', 'school-2', 'green', 0, 0, false, { troubleTickets: 0, openTickets: 0 }],
  ] as const)(
    '%s %s is %s (red %i months, red or yellow %i, flagged %s)',
    async (month, site, rating, red, alert, flagged, measures) => {
      const r = (await rated(month)).get(site)!;
      expect(r).toMatchObject({ rating, redStreak: red, alertStreak: alert, flagged, final: true });
      expect(r.measures).toMatchObject(measures);
    },
  );

  it('a site added mid-month is rated for the part of the month it existed, and says so', async () => {
    const sep = (await rated('2026-09')).get('bank-3')!;
    expect(sep.partial).toBe(true);
    expect(sep.since).toBe('2026-09-15T02:00:00.000Z');
    expect((await rated('2026-10')).get('bank-3')!.partial).toBe(false);
  });

  it('says why: the measure, its value and the threshold reached', async () => {
    const r = (await rated('2026-10')).get('school-2')!;
    expect(r.reasons).toEqual([{ measure: 'oldestOpenTicketHours', value: 96, threshold: 72, level: 'red' }]);
    expect(r.previous).toBe('yellow');
    expect(r.change).toBe('worse');
  });

  it('the running month is computed on demand, not final, and follows the stored month before it', async () => {
    const dec = await fx.ratings.forSites(['shop-1']);
    expect(dec.month).toBe('2026-12');
    expect(dec.final).toBe(false);
    expect(dec.ratings.get('shop-1')).toMatchObject({
      rating: 'yellow',
      previous: 'red',
      change: 'better',
      redStreak: 0,
      alertStreak: 4,
      flagged: true,
    });
  });

  it("a site's history is newest first with the running month in front", async () => {
    const h = await fx.ratings.history('shop-1', 12);
    expect(h.map((r) => [r.month, r.rating, r.final])).toEqual([
      ['2026-12', 'yellow', false],
      ['2026-11', 'red', true],
      ['2026-10', 'red', true],
      ['2026-09', 'yellow', true],
      ['2026-08', 'green', true],
    ]);
  });

  it('reads a stored month a page at a time, every site once, as the whole month reads', async () => {
    const whole = await fx.ratingStore.month('2026-10');
    for (const size of [1, 2, 500]) {
      const pages: string[][] = [];
      for await (const page of fx.ratingStore.monthPages('2026-10', size))
        pages.push(page.map((r) => r.site));
      expect(pages.every((p) => p.length <= size)).toBe(true);
      expect(pages.flat()).toEqual([...whole.keys()].sort());
    }
    expect((await rated('2026-10')).size).toBe(whole.size);
  });
});
