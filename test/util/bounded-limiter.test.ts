import { describe, expect, it } from 'vitest';
import { BoundedLimiter } from '../../src/util/bounded-limiter.js';
import { BoundedMap } from '../../src/util/bounded-map.js';

describe('BoundedMap', () => {
  it('keeps at most maxEntries keys, evicting the least recently used', () => {
    const m = new BoundedMap<string, number>(3);
    m.set('a', 1).set('b', 2).set('c', 3);
    expect(m.get('a')).toBe(1); // a is now the most recent
    m.set('d', 4);
    expect([...m.entries()].map(([k]) => k)).toEqual(['c', 'a', 'd']);
    expect(m.has('b')).toBe(false);
    expect(m.evicted).toBe(1);
  });

  it.each([0, -1, 1.5])('refuses a size of %s', (n) => {
    expect(() => new BoundedMap(n)).toThrow(/positive integer/);
  });
});

describe('BoundedLimiter', () => {
  it('allows once per key per interval and reports how many were suppressed', () => {
    let t = 0;
    const l = new BoundedLimiter({ intervalMs: 60_000, now: () => t });
    expect(l.take('panel-1')).toEqual({ allowed: true, suppressed: 0 });
    expect(l.take('panel-1').allowed).toBe(false);
    expect(l.take('panel-1').allowed).toBe(false);
    expect(l.take('panel-2').allowed).toBe(true);
    t += 60_000;
    expect(l.take('panel-1')).toEqual({ allowed: true, suppressed: 2 });
  });

  it('stays bounded when every take names a new key (an attacker sending new usernames)', () => {
    const l = new BoundedLimiter({ intervalMs: 60_000, maxKeys: 1000 });
    for (let i = 0; i < 50_000; i++) l.take(`user-${i}`);
    expect(l.size).toBe(1000);
  });

  it('caps the lines of all keys together with `overall`', () => {
    let t = 0;
    const l = new BoundedLimiter({ intervalMs: 1000, overall: 10, now: () => t });
    const allowed = Array.from({ length: 100 }, (_, i) => l.take(`k${i}`).allowed).filter(Boolean);
    expect(allowed).toHaveLength(10);
    expect(l.drainOverallSuppressed()).toBe(90);
    t += 1000;
    expect(l.take('k99')).toEqual({ allowed: true, suppressed: 1 });
  });

  it('allows `perKey` per interval', () => {
    const l = new BoundedLimiter({ intervalMs: 1000, perKey: 3, now: () => 0 });
    expect([1, 2, 3, 4].map(() => l.take('a').allowed)).toEqual([true, true, true, false]);
  });
});
