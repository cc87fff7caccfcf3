import { describe, expect, it } from 'vitest';
import { loopDelay } from '../../src/health/system-module.js';
import { nextTurn } from '../../src/util/next-turn.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('loopDelay: how long the alarm thread was held, for each minute of the history', () => {
  it('reports a 150 ms hold as its worst, then starts again from nothing', async () => {
    const loop = loopDelay();
    try {
      await sleep(60);
      const until = performance.now() + 150;
      while (performance.now() < until) {
        // The thread held, as by a long query.
      }
      await sleep(40);
      const held = loop.read();
      expect(held.maxMs).toBeGreaterThanOrEqual(120);
      expect(held.maxMs).toBeLessThan(1000);
      expect(held.p99Ms).toBeLessThanOrEqual(held.maxMs);
      // Read and reset: the next minute does not carry the stall.
      await sleep(60);
      await nextTurn();
      expect(loop.read().maxMs).toBeLessThan(100);
    } finally {
      loop.stop();
    }
  });
});
