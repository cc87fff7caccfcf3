import type { JurisdictionTree } from '../core/jurisdictions.js';

/**
 * Devices lost together: many panels or cameras whose losses began within minutes of one another are
 * one fault of the network, a carrier or the receiver's own link, not each site's. Shared by the
 * panels' supervision and the cameras' watchdogs, so both judge alike.
 */

/** The most losses within one window, with the first and the last of them (epoch ms). */
export interface Together {
  together: number;
  firstAt?: number;
  lastAt?: number;
}

/** When devices lost together are a trouble of the receiver (`storage.panelsLostTogether`, `camerasLostTogether`). */
export interface TogetherRule {
  /** At least this many devices… */
  least: number;
  /** …and at least this share of all of them (warn), or `badShare` of them (bad). */
  share: number;
  badShare: number;
}

/**
 * The most of `times` (epoch ms, sorted here in place) that lie within `windowMs` of one another: a
 * sliding window over the sorted times, one pass.
 */
export function mostWithin(times: number[], windowMs: number): Together {
  times.sort((a, b) => a - b);
  let together = 0;
  let firstAt: number | undefined;
  let lastAt: number | undefined;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! > windowMs) i++;
    if (j - i + 1 > together) {
      together = j - i + 1;
      firstAt = times[i];
      lastAt = times[j];
    }
  }
  return { together, ...(firstAt !== undefined && lastAt !== undefined ? { firstAt, lastAt } : {}) };
}

/** How bad `together` of `of` devices lost is by `rule`; undefined when it is not a trouble. */
export function togetherLevel(together: number, of: number, rule: TogetherRule): 'warn' | 'bad' | undefined {
  if (of === 0 || together < rule.least || together < rule.share * of) return undefined;
  return together >= rule.badShare * of ? 'bad' : 'warn';
}

/**
 * Where devices lost together are: the deepest jurisdiction node holding at least `share` of them
 * (each given by its site's node), so a desk reads "集中在北城派出所" and calls that district's
 * carrier. Undefined when they are spread over the whole tree (a root) or none is known.
 */
export function narrowest(
  nodes: readonly (string | undefined)[],
  tree: Pick<JurisdictionTree, 'get'>,
  share = 0.8,
): string | undefined {
  const counts = new Map<string, number>();
  let known = 0;
  for (const id of nodes) {
    const path = id !== undefined ? tree.get(id)?.path : undefined;
    if (!path) continue;
    known++;
    for (const p of path) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  let best: string | undefined;
  let depth = 0;
  for (const [id, n] of counts) {
    const d = tree.get(id)!.depth;
    if (n >= share * known && d > depth) {
      best = id;
      depth = d;
    }
  }
  return best;
}

/** What a part's health says of devices lost together (`/api/health` `checks.panels`, `checks.cameras`). */
export interface TogetherHealth {
  lostTogether: number;
  lostTogetherLevel?: 'warn' | 'bad';
  lostTogetherFrom?: string;
  lostTogetherTo?: string;
  lostTogetherWhere?: string;
}

/**
 * `c` and its `level` as the health reports them, with where they are when it is a trouble: the
 * places (jurisdiction nodes) of the devices lost from `firstAt` to `lastAt`, narrowed in `tree`.
 */
export function togetherHealth(
  c: Together,
  level: 'warn' | 'bad' | undefined,
  where?: {
    placesBetween: (fromMs: number, toMs: number) => readonly (string | undefined)[];
    tree: Pick<JurisdictionTree, 'get'>;
  },
): TogetherHealth {
  const span =
    c.firstAt !== undefined && c.lastAt !== undefined ? { from: c.firstAt, to: c.lastAt } : undefined;
  const place =
    level && span && where ? narrowest(where.placesBetween(span.from, span.to), where.tree) : undefined;
  return {
    lostTogether: c.together,
    ...(level ? { lostTogetherLevel: level } : {}),
    ...(span
      ? {
          lostTogetherFrom: new Date(span.from).toISOString(),
          lostTogetherTo: new Date(span.to).toISOString(),
        }
      : {}),
    ...(place ? { lostTogetherWhere: place } : {}),
  };
}
