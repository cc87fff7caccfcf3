import { describe, expect, it } from 'vitest';
import { JurisdictionTree } from '../../src/core/jurisdictions.js';
import { mostWithin, narrowest, togetherLevel } from '../../src/health/lost-together.js';

const MIN = 60_000;
const T0 = Date.parse('2026-12-06T08:00:00.000Z');

describe('mostWithin', () => {
  it.each([
    ['none', [], 10, { together: 0 }],
    ['one', [0], 10, { together: 1, firstAt: T0, lastAt: T0 }],
    // Two an hour apart, then six 30 s apart: the six, from the first of them to the last.
    [
      'a street going dark',
      [-60, -59, 0, 0.5, 1, 1.5, 2, 2.5],
      10,
      { together: 6, firstAt: T0, lastAt: T0 + 2.5 * MIN },
    ],
    // A window of one minute holds three of the six at most.
    [
      'the same street, one minute',
      [-60, -59, 0, 0.5, 1, 1.5, 2, 2.5],
      1,
      { together: 3, firstAt: T0, lastAt: T0 + MIN },
    ],
    // Unsorted input is sorted; the window's edge counts (within, not under).
    ['unsorted, at the edge', [10, 0, 5], 10, { together: 3, firstAt: T0, lastAt: T0 + 10 * MIN }],
  ])('%s', (_name, minutes, windowMinutes, want) => {
    expect(
      mostWithin(
        minutes.map((m) => T0 + m * MIN),
        windowMinutes * MIN,
      ),
    ).toEqual(want);
  });
});

describe('togetherLevel', () => {
  const rule = { least: 10, share: 0.05, badShare: 0.25 };
  it.each([
    [9, 100, undefined], // too few
    [10, 100, 'warn'],
    [24, 100, 'warn'],
    [25, 100, 'bad'],
    [49, 1000, undefined], // under 5 % of a city
    [50, 1000, 'warn'],
    [0, 0, undefined],
  ] as const)('%i of %i → %s', (together, of, want) => {
    expect(togetherLevel(together, of, rule)).toBe(want);
  });
});

describe('narrowest: where most of the devices lost together are', () => {
  const tree = new JurisdictionTree([
    {
      id: 'city',
      name: '朔州市110指挥中心',
      children: [
        {
          id: 'north',
          name: '北城派出所',
          children: [
            { id: 'north-grid-1', name: '北城一网格', children: [] },
            { id: 'north-grid-2', name: '北城二网格', children: [] },
          ],
        },
        { id: 'south', name: '南城派出所', children: [] },
      ],
    },
  ] as ConstructorParameters<typeof JurisdictionTree>[0]);
  const many = (id: string, n: number) => Array.from({ length: n }, () => id);
  it.each([
    ['all in one grid cell', [...many('north-grid-1', 10)], 'north-grid-1'],
    ['nine of ten in a cell: the cell', [...many('north-grid-1', 9), 'south'], 'north-grid-1'],
    [
      'over two cells of one station: the station',
      [...many('north-grid-1', 5), ...many('north-grid-2', 5)],
      'north',
    ],
    // 7 of 10 in the north: under 80 %, so the whole city, which says nothing.
    ['all over the city', [...many('north-grid-1', 7), ...many('south', 3)], undefined],
    ['sites of unknown places are left out', [...many('south', 4), undefined, 'nowhere'], 'south'],
    ['none', [], undefined],
  ])('%s', (_name, nodes, want) => {
    expect(narrowest(nodes, tree)).toBe(want);
  });
});
