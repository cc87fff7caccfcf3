import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../src/core/events.js';
import { monthRange } from '../../src/reports/local-time.js';
import { monthlyReport, nodeFigures } from '../../src/reports/monthly-report.js';
import { CSV_HEADER, monthlyCsv } from '../../src/reports/report-csv.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { type ReportFixture, reportFixture } from './report-fixture.js';
import { type SeedIncident, seedIncidents } from './seed-history.js';

const NOW = '2026-12-02T12:00:00+08:00';
const H = 3_600_000;
const at = (base: string, plusMs: number) => new Date(Date.parse(base) + plusMs).toISOString();

// Ten alarms at shop-1 on 1 September, at 10:00, 11:00 ... 19:00 Beijing time: acknowledged after
// 10, 20 ... 100 s; car-n1 sent after 60 s, on scene 60, 120 ... 600 s later; resolved after an hour.
const shop: SeedIncident[] = Array.from({ length: 10 }, (_, i) => {
  const opened = at('2026-09-01T10:00:00+08:00', i * H);
  return {
    id: `shop-${i}`,
    site: 'shop-1',
    jurisdiction: 'north-grid-1',
    type: 'intrusion',
    confirmed: true,
    opened,
    ack: at(opened, (i + 1) * 10_000),
    units: [{ unit: 'car-n1', at: at(opened, 60_000), arrived: at(opened, 60_000 + (i + 1) * 60_000) }],
    closed: at(opened, H),
  };
});
const school: SeedIncident[] = [
  {
    id: 'school-a',
    site: 'school-2',
    jurisdiction: 'south',
    type: 'panic',
    opened: '2026-09-02T20:00:00+08:00',
    ack: '2026-09-02T20:00:30+08:00',
    state: 'false_alarm',
    closed: '2026-09-02T20:05:00+08:00',
  },
  // Nobody acknowledged within the deadline: escalated to the city after 60 s, acknowledged at 90 s.
  {
    id: 'school-b',
    site: 'school-2',
    jurisdiction: 'south',
    type: 'panic',
    priority: 1,
    opened: '2026-09-03T21:00:00+08:00',
    ack: '2026-09-03T21:01:30+08:00',
    escalations: [{ step: 1, jurisdiction: 'city', at: '2026-09-03T21:01:00+08:00' }],
  },
  {
    id: 'school-ticket',
    site: 'school-2',
    jurisdiction: 'south',
    kind: 'maintenance',
    type: 'trouble',
    priority: 4,
    opened: '2026-09-04T08:00:00+08:00',
  },
  // Opened 30 s before September in Beijing (already September in no zone that matters): not September's.
  {
    id: 'august-late',
    site: 'shop-1',
    jurisdiction: 'north-grid-1',
    type: 'intrusion',
    opened: '2026-08-31T23:59:30+08:00',
    ack: '2026-09-01T00:00:30+08:00',
  },
];

const ev = (
  over: Partial<NormalizedEvent> & Pick<NormalizedEvent, 'type' | 'device' | 'receivedAt'>,
): NormalizedEvent => ({
  key: `seed:${over.device}:${over.receivedAt}`,
  source: 'panel',
  site: 'shop-1',
  ts: over.receivedAt,
  ...over,
});

const september = () => ({ node: 'city', ...monthRange('2026-09', 'Asia/Shanghai') });

// The same queries on both databases: SQLite through the report worker, PostgreSQL through the pool.
describe.each(['sqlite', 'postgres'] as const)('on %s', (dialect) => {
  let fx: ReportFixture;

  beforeAll(async () => {
    fx = await reportFixture({
      now: NOW,
      firstSync: '2026-07-01T00:00:00+08:00',
      bankAdded: '2026-09-15T10:00:00+08:00',
      dialect,
    });
    await seedIncidents(fx.store.k, [...shop, ...school]);
    await fx.project();
    // A camera without video for two hours; a panel silent from 22:00 on 31 August to 02:00 on 1 September.
    await fx.projector.applyEvents([
      ev({ type: 'video_loss', source: 'camera', device: 'cam-1', receivedAt: '2026-09-05T10:00:00+08:00' }),
      ev({
        type: 'video_restore',
        source: 'camera',
        device: 'cam-1',
        receivedAt: '2026-09-05T12:00:00+08:00',
      }),
      ev({
        type: 'trouble',
        device: 'panel-1',
        receivedAt: '2026-08-31T22:03:00+08:00',
        detail: { reason: 'communication_lost', silentSince: '2026-08-31T14:00:00Z' },
      }),
      ev({
        type: 'restore',
        device: 'panel-1',
        receivedAt: '2026-09-01T02:00:00+08:00',
        detail: { reason: 'communication_restored' },
      }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
  });

  describe('figures of a node for a period, computed in SQL', () => {
    it('counts by kind, type and priority; false-alarm rate; the month before is left out', async () => {
      const f = await nodeFigures(fx.deps, september());
      expect(f.counts).toMatchObject({
        incidents: 13,
        alarms: 12,
        maintenance: 1,
        falseAlarms: 1,
        falseAlarmRate: 0.083,
      });
      expect(f.counts.byType).toEqual([
        { type: 'intrusion', kind: 'alarm', count: 10 },
        { type: 'panic', kind: 'alarm', count: 2 },
        { type: 'trouble', kind: 'maintenance', count: 1 },
      ]);
      expect(f.counts.byPriority).toEqual([
        { priority: 1, count: 12 },
        { priority: 2, count: 0 },
        { priority: 3, count: 0 },
        { priority: 4, count: 1 },
      ]);
    });

    it.each([
      // group, measure, count, p50, p90, max (seconds, nearest rank)
      ['city', 'acknowledge', 12, 50, 90, 100],
      ['city', 'dispatch', 10, 60, 60, 60],
      ['city', 'arrive', 10, 360, 600, 660],
      ['city', 'resolve', 11, 3600, 3600, 3600],
      ['north', 'acknowledge', 10, 50, 90, 100],
      ['south', 'acknowledge', 2, 30, 90, 90],
      ['south', 'arrive', 0, null, null, null],
    ] as const)(
      '%s: time to %s over %i alarms is p50 %s, p90 %s, max %s',
      async (grp, m, count, p50, p90, max) => {
        const f = await nodeFigures(fx.deps, september());
        const response = grp === 'city' ? f.response : f.children.find((c) => c.id === grp)!.response;
        expect(response[m]).toEqual({ count, p50, p90, max });
      },
    );

    it('units: dispatches, arrivals, travel times and hours committed', async () => {
      const f = await nodeFigures(fx.deps, september());
      const car = f.units.find((u) => u.unit === 'car-n1')!;
      expect(car).toMatchObject({ dispatches: 10, arrived: 10, busyHours: 9.8 });
      expect(car.dispatchToArrival).toEqual({ count: 10, p50: 300, p90: 540, max: 600 });
      expect(f.units.find((u) => u.unit === 'car-s1')).toMatchObject({ dispatches: 0, arrived: 0 });
    });

    it('escalations nobody answered, and false alarms per site', async () => {
      const f = await nodeFigures(fx.deps, september());
      expect(f.escalations).toMatchObject({ escalated: 1, unanswered: 1 });
      expect(f.escalations.list).toEqual([
        expect.objectContaining({ incident: 'school-b', reached: 'city', acknowledgeSeconds: 90, steps: 1 }),
      ]);
      expect(f.sites).toEqual([
        { site: 'school-2', name: '南城小学', alarms: 2, falseAlarms: 1, falseAlarmRate: 0.5 },
        { site: 'shop-1', name: '金水便利店', alarms: 10, falseAlarms: 0, falseAlarmRate: 0 },
      ]);
    });

    it('offline time within the period: an outage across the month start counts from it', async () => {
      const f = await nodeFigures(fx.deps, september());
      expect(f.offline.cameras).toEqual({ seconds: 7200, episodes: 1, devices: 1 });
      expect(f.offline.panels).toEqual({ seconds: 7200, episodes: 1, devices: 1 });
    });

    it('a month with no incidents has zero counts and no times, not errors', async () => {
      const f = await nodeFigures(fx.deps, { node: 'city', ...monthRange('2026-07', 'Asia/Shanghai') });
      expect(f.counts).toMatchObject({ incidents: 0, alarms: 0, falseAlarmRate: 0 });
      expect(f.response.acknowledge).toEqual({ count: 0, p50: null, p90: null, max: null });
      expect(f.offline.panels.seconds).toBe(0);
    });
  });

  describe('the monthly report', () => {
    it('charts by local day and hour, distributions and trend', async () => {
      const r = await monthlyReport(fx.deps, { node: 'city', month: '2026-09' });
      expect(r.final).toBe(true);
      expect(r.charts.byDay).toHaveLength(30);
      expect(r.charts.byDay[0]).toEqual({
        day: '2026-09-01',
        alarms: 10,
        maintenance: 0,
        acknowledgeP50: 50,
      });
      expect(r.charts.byHour.filter((h) => h.alarms > 0).map((h) => h.hour)).toEqual([
        10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
      ]);
      // Acknowledged in <30 s: 10, 20 s; <60: 30, 30, 40, 50; <120: the other six.
      expect(r.charts.distributions.acknowledge).toEqual([2, 4, 6, 0, 0, 0, 0, 0, 0]);
      expect(r.charts.trend.map((t) => [t.month, t.alarms])).toEqual([
        ['2026-08', 1],
        ['2026-09', 12],
      ]);
    });

    it('as CSV: a header row, then one figure a row', async () => {
      const csv = monthlyCsv(await monthlyReport(fx.deps, { node: 'south', month: '2026-09' }));
      const lines = csv.trimEnd().split('\r\n');
      expect(lines[0]).toBe(CSV_HEADER.join(','));
      expect(lines).toContain('counts,south,,alarms,2');
      expect(lines).toContain('response,south,acknowledge,p90_seconds,90');
      // Its trouble ticket, open since 4 September, is older than 72 hours at the month's end.
      expect(lines).toContain('site_rating,school-2,南城小学,rating,red');
      expect(lines.every((l) => l.split(',').length >= 5)).toBe(true);
    });
  });
});

afterAll(() => stopSharedPostgres());
