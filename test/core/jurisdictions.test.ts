import { describe, expect, it } from 'vitest';
import { JurisdictionTree } from '../../src/core/jurisdictions.js';

const tree = new JurisdictionTree([
  {
    id: 'city',
    name: 'City',
    children: [
      {
        id: 'd1',
        name: 'District 1',
        children: [{ id: 's1', name: 'Station 1', children: [{ id: 'g1', name: 'Grid 1', children: [] }] }],
      },
      { id: 'd2', name: 'District 2', children: [] },
    ],
  },
]);

describe('JurisdictionTree', () => {
  it.each([
    ['g1', 'city', true],
    ['g1', 's1', true],
    ['g1', 'g1', true],
    ['g1', 'd2', false],
    ['d2', 'd1', false],
    ['city', 'g1', false],
    ['unknown', 'city', false],
  ])('%s within %s is %s', (node, scope, expected) => {
    expect(tree.within(node, scope)).toBe(expected);
  });

  it('lists ancestors nearest first and whole subtrees', () => {
    expect(tree.ancestors('g1')).toEqual(['g1', 's1', 'd1', 'city']);
    expect(tree.subtree('d1').sort()).toEqual(['d1', 'g1', 's1']);
    expect(tree.subtree('nope')).toEqual([]);
    expect(tree.get('g1')?.depth).toBe(3);
  });
});
