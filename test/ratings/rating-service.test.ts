import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RatingService } from '../../src/ratings/rating-service.js';
import { type ReportFixture, ratingsAsked, reportFixture } from '../reports/report-fixture.js';
import { seedIncidents } from '../reports/seed-history.js';

// A Beijing month (ratings.timezone defaults to Asia/Shanghai); the fixture's three sites.
const NOW = '2026-12-02T12:00:00+08:00';
const SITES = ['bank-3', 'school-2', 'shop-1'];
let fx: ReportFixture;

beforeAll(async () => {
  fx = await reportFixture({
    now: NOW,
    firstSync: '2026-11-01T00:00:00+08:00',
    bankAdded: '2026-11-01T00:00:00+08:00',
  });
  await seedIncidents(fx.store.k, [
    {
      id: 'dec-shop',
      site: 'shop-1',
      jurisdiction: 'north-grid-1',
      type: 'panic',
      opened: '2026-12-01T08:00:00+08:00',
    },
  ]);
  await fx.project();
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

/** A false alarm opened now at `site`, projected as the reports sink does; returns the sites touched. */
async function falseAlarm(id: string, site: string, jurisdiction: string): Promise<Set<string>> {
  await seedIncidents(fx.store.k, [
    {
      id,
      site,
      jurisdiction,
      type: 'intrusion',
      state: 'false_alarm',
      opened: '2026-12-02T11:00:00+08:00',
      closed: '2026-12-02T11:10:00+08:00',
    },
  ]);
  const touched = new Set<string>();
  await fx.projector.refresh([id], touched);
  return touched;
}

describe('the running month’s ratings while alarms come in', () => {
  it('computes again only the sites whose figures changed; the other views are kept as they were', async () => {
    const svc = new RatingService({
      runner: fx.runner,
      store: fx.ratingStore,
      config: fx.config.ratings,
      now: () => new Date(NOW),
    });
    const { calls, restore } = ratingsAsked(fx.runner);
    try {
      const first = await svc.forSites(undefined);
      expect([...first.ratings.keys()].sort()).toEqual(SITES);
      expect(first.ratings.get('school-2')).toMatchObject({ alarms: 0, falseAlarms: 0 });
      expect(calls).toEqual([undefined]);

      const touched = await falseAlarm('dec-school-fa', 'school-2', 'south');
      expect([...touched]).toEqual(['school-2']);
      svc.touched(touched);
      const second = await svc.forSites(undefined);
      expect(calls).toEqual([undefined, 'school-2']);
      expect(second.ratings.get('school-2')).toMatchObject({ alarms: 1, falseAlarms: 1, falseAlarmRate: 1 });
      // The same view objects, in the same order: nothing but the changed site was built again.
      expect([...second.ratings.keys()]).toEqual([...first.ratings.keys()]);
      expect(second.ratings.get('shop-1')).toBe(first.ratings.get('shop-1'));
      expect(second.ratings.get('bank-3')).toBe(first.ratings.get('bank-3'));
      // The site's history reads the same kept ratings.
      expect((await svc.history('school-2', 3))[0]).toMatchObject({ month: '2026-12', falseAlarms: 1 });
      // Nothing changed since: the kept ratings answer, the worker is not asked.
      await svc.forSites(['shop-1']);
      expect(calls).toHaveLength(2);

      // A site no longer configured (or never) leaves the list; the others stay.
      svc.touched(['gone-site']);
      expect((await svc.forSites(undefined)).ratings.size).toBe(3);
      expect(calls).toEqual([undefined, 'school-2', 'gone-site']);

      // More changed sites than are worth asking one by one: the whole month again.
      svc.touched(Array.from({ length: 501 }, (_, i) => `home-${i}`));
      expect((await svc.forSites(undefined)).ratings.size).toBe(3);
      expect(calls.at(-1)).toBeUndefined();
      expect(calls).toHaveLength(4);
    } finally {
      restore();
    }
  });

  it('a patch that fails is not kept: the next ask computes the whole month again', async () => {
    const svc = new RatingService({
      runner: fx.runner,
      store: fx.ratingStore,
      config: fx.config.ratings,
      now: () => new Date(NOW),
    });
    await svc.forSites(undefined);
    const { calls, restore } = ratingsAsked(fx.runner, { failSites: true });
    try {
      svc.touched(['shop-1']);
      await expect(svc.forSites(undefined)).rejects.toThrow('report worker gone');
      expect((await svc.forSites(undefined)).ratings.size).toBe(3);
      expect(calls).toEqual(['shop-1', undefined]);
    } finally {
      restore();
    }
  });
});
