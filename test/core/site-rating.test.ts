import { describe, expect, it } from 'vitest';
import type { IncidentTiming } from '../../src/core/core-repository.js';
import { Directory } from '../../src/core/directory.js';
import { responseTimes, spread, stationOf } from '../../src/core/response-times.js';
import { monthRange, rateSite } from '../../src/core/site-rating.js';
import { coreConfig } from './core-fixture.js';

const T = Date.parse('2026-03-31T00:00:00Z');
const inc = (over: Partial<IncidentTiming>): IncidentTiming => ({
  id: 'i',
  site: 's',
  jurisdiction: 'north-grid-1',
  kind: 'alarm',
  state: 'resolved',
  priority: 1,
  openedAt: '2026-03-10T10:00:00.000Z',
  acknowledgedAt: null,
  closedAt: null,
  units: [],
  ...over,
});
const fa = inc({ state: 'false_alarm' });
const ticket = inc({ kind: 'maintenance' });
const hoursAgo = (h: number) => ({ openedAt: new Date(T - h * 3_600_000).toISOString() });

describe('site rating', () => {
  it.each([
    { what: 'a quiet month', incidents: [], open: [], rating: 'green' },
    { what: 'real alarms only', incidents: [inc({}), inc({})], open: [], rating: 'green' },
    { what: 'one false alarm', incidents: [fa, inc({})], open: [], rating: 'yellow' },
    { what: 'three false alarms', incidents: [fa, fa, fa], open: [], rating: 'red' },
    { what: 'three trouble tickets', incidents: [ticket, ticket, ticket], open: [], rating: 'yellow' },
    { what: 'a ticket open 2 h', incidents: [], open: [hoursAgo(2)], rating: 'yellow' },
    { what: 'a ticket open 73 h', incidents: [], open: [hoursAgo(73)], rating: 'red' },
  ])('$what → $rating', ({ incidents, open, rating }) => {
    expect(rateSite('s', incidents, open, T).rating).toBe(rating);
  });

  it('reports the false-alarm rate', () => {
    expect(rateSite('s', [fa, inc({}), inc({}), inc({})], [], T)).toMatchObject({
      alarms: 4,
      falseAlarms: 1,
      falseAlarmRate: 0.25,
    });
  });

  it.each([
    { month: '2026-03', since: '2026-03-01T00:00:00.000Z', until: '2026-04-01T00:00:00.000Z' },
    { month: '2026-12', since: '2026-12-01T00:00:00.000Z', until: '2027-01-01T00:00:00.000Z' },
  ])('month $month is [$since, $until)', ({ month, since, until }) => {
    expect(monthRange(month)).toEqual({ since, until });
  });
});

describe('response times', () => {
  const tree = new Directory(coreConfig()).tree;
  it.each([
    { samples: [], p50: null, p90: null },
    { samples: [5], p50: 5, p90: 5 },
    { samples: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], p50: 5, p90: 9 },
    { samples: [30, 10, 20], p50: 20, p90: 30 },
  ])('nearest-rank p50/p90 of $samples', ({ samples, p50, p90 }) => {
    expect(spread(samples)).toEqual({ count: samples.length, p50, p90 });
  });

  it.each([
    { node: 'north-grid-1', station: 'north' },
    { node: 'north', station: 'north' },
    { node: 'district', station: 'district' },
  ])('$node belongs to station $station', ({ node, station }) => {
    expect(stationOf(tree, node)).toBe(station);
  });

  it('measures acknowledge and arrival per station and per unit', () => {
    const r = responseTimes(tree, coreConfig().units, [
      inc({
        acknowledgedAt: '2026-03-10T10:01:00.000Z',
        units: [
          {
            unit: 'north-car-1',
            dispatchedBy: 'op',
            dispatchedAt: '2026-03-10T10:02:00.000Z',
            arrivedAt: '2026-03-10T10:10:00.000Z',
          },
        ],
      }),
      inc({ kind: 'maintenance', acknowledgedAt: '2026-03-11T10:00:00.000Z' }),
    ]);
    expect(r.stations).toEqual([
      {
        station: 'north',
        name: 'North station',
        incidents: 1,
        falseAlarms: 0,
        acknowledge: { count: 1, p50: 60, p90: 60 },
        arrival: { count: 1, p50: 600, p90: 600 },
      },
    ]);
    expect(r.units).toEqual([
      {
        unit: 'north-car-1',
        name: 'North car 1',
        jurisdiction: 'north',
        dispatches: 1,
        dispatchToArrival: { count: 1, p50: 480, p90: 480 },
        openToArrival: { count: 1, p50: 600, p90: 600 },
      },
    ]);
  });
});
