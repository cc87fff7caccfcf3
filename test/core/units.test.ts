import { describe, expect, it } from 'vitest';
import { JurisdictionTree } from '../../src/core/jurisdictions.js';
import { distanceM, rankUnits, stationOf, type UnitView } from '../../src/core/units.js';

const TREE = new JurisdictionTree([
  {
    id: 'city',
    name: '市110',
    kind: 'city',
    children: [
      {
        id: 'district',
        name: '分局',
        kind: 'district',
        children: [
          {
            id: 'north',
            name: '北城派出所',
            kind: 'station',
            children: [
              { id: 'n-grid-1', name: '北城一网格', kind: 'grid', children: [] },
              { id: 'n-grid-2', name: '北城二网格', kind: 'grid', children: [] },
            ],
          },
          { id: 'south', name: '南城派出所', kind: 'station', children: [] },
        ],
      },
    ],
  },
]);
/** A tree without kinds: the site's node's parent answers for it, unless that parent is the root. */
const PLAIN = new JurisdictionTree([
  {
    id: 'city',
    name: 'City',
    children: [
      { id: 'north', name: 'North', children: [{ id: 'north-grid-1', name: 'Grid', children: [] }] },
      { id: 'south', name: 'South', children: [] },
    ],
  },
]);

describe('distanceM', () => {
  it.each([
    ['the same point', { lat: 39.3352, lon: 112.4281 }, { lat: 39.3352, lon: 112.4281 }, 0, 0],
    // 0.01° of latitude is 1,111.95 m on a 6,371 km sphere.
    ['0.01° north', { lat: 39.33, lon: 112.43 }, { lat: 39.34, lon: 112.43 }, 1112, 1],
    // 0.01° of longitude at 39.33° N is cos(39.33°) × 1,111.95 m = 859.9 m.
    ['0.01° east', { lat: 39.33, lon: 112.43 }, { lat: 39.33, lon: 112.44 }, 860, 1],
    [
      '朔州 to 太原 (about 190 km)',
      { lat: 39.331, lon: 112.432 },
      { lat: 37.87, lon: 112.549 },
      162_700,
      500,
    ],
  ])('%s', (_what, a, b, metres, tolerance) => {
    expect(Math.abs(distanceM(a, b) - metres)).toBeLessThanOrEqual(tolerance);
  });
});

describe('stationOf', () => {
  it.each([
    [TREE, 'n-grid-1', 'north'],
    [TREE, 'north', 'north'],
    [TREE, 'south', 'south'],
    [TREE, 'district', 'district'], // no station above a district: the node itself
    [PLAIN, 'north-grid-1', 'north'],
    [PLAIN, 'south', 'south'], // its parent is the root, nobody's station
  ])('%#: the station of %s', (tree, node, station) => {
    expect(stationOf(tree as JurisdictionTree, node as string)).toBe(station);
  });
});

describe('rankUnits', () => {
  const unit = (id: string, jurisdiction: string, extra: Partial<UnitView> = {}): UnitView => ({
    id,
    name: id,
    kind: 'patrol_car',
    jurisdiction,
    status: 'available',
    ...extra,
  });
  const site = { jurisdiction: 'n-grid-1', location: { lat: 39.3352, lon: 112.4281 } };
  const nodeLocation = (id: string) =>
    ({ north: { lat: 39.334, lon: 112.43 }, south: { lat: 39.322, lon: 112.438 } })[id];

  it('puts the own station first (any of its grids), free before busy, nearest first, unknown distance last', () => {
    const ranked = rankUnits(
      [
        unit('south-car', 'south', { location: { lat: 39.3352, lon: 112.4285 } }), // nearest, but south
        unit('north-far', 'north', { location: { lat: 39.345, lon: 112.44 } }),
        unit('north-busy', 'north', { status: 'dispatched', incident: 'INC-1', location: site.location }),
        unit('north-team', 'north'), // from the station building
        unit('grid-2-car', 'n-grid-2', { location: { lat: 39.3362, lon: 112.4281 } }),
        unit('district-car', 'district'), // no position anywhere
      ],
      site,
      TREE,
      nodeLocation,
    );
    expect(ranked.map((u) => [u.id, u.own])).toEqual([
      ['grid-2-car', true],
      ['north-team', true],
      ['north-far', true],
      ['north-busy', true],
      ['south-car', false],
      ['district-car', false],
    ]);
    expect(ranked.find((u) => u.id === 'district-car')?.distanceM).toBeNull();
    expect(ranked.find((u) => u.id === 'grid-2-car')?.distanceM).toBe(111);
    expect(ranked.find((u) => u.id === 'north-team')?.from).toEqual({ lat: 39.334, lon: 112.43 });
  });
});
