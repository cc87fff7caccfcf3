import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/core/batcher.js';

describe('Batcher (group commit)', () => {
  it('flushes items submitted in one turn together, in order', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>(async (items) => {
      batches.push(items);
      return items.map((i) => i * 10);
    });
    const results = await Promise.all([1, 2, 3].map((i) => b.submit(i)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('splits at the maximum batch size and rejects every item of a failed batch', async () => {
    const sizes: number[] = [];
    const b = new Batcher<number, number>(async (items) => {
      sizes.push(items.length);
      if (items.includes(5)) throw new Error('disk full');
      return items;
    }, 2);
    const settled = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => b.submit(i)));
    expect(sizes).toEqual([2, 2, 1]);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
    ]);
  });

  it('gives a flooding key at most perKey places a batch, so another key is never queued behind it', async () => {
    const batches: string[][] = [];
    const b = new Batcher<string, string>(
      async (items) => {
        batches.push(items);
        return items;
      },
      512,
      { keyOf: (s) => s.split(':')[0]!, perKey: 8 },
    );
    const flood = Array.from({ length: 40 }, (_, i) => b.submit(`flood:${i}`));
    const panic = b.submit('panic:0');
    await Promise.all([...flood, panic]);
    expect(batches[0]).toContain('panic:0');
    for (const batch of batches)
      expect(batch.filter((s) => s.startsWith('flood')).length).toBeLessThanOrEqual(8);
    // The flood keeps its order across batches.
    expect(batches.flat().filter((s) => s.startsWith('flood'))).toEqual(
      Array.from({ length: 40 }, (_, i) => `flood:${i}`),
    );
  });

  it('gives a flooding key fewer places while another key waits', async () => {
    const batches: string[][] = [];
    const b = new Batcher<string, string>(
      async (items) => {
        batches.push(items);
        return items;
      },
      512,
      { keyOf: (s) => s.split(':')[0]!, perKey: 8, whenOthersWait: 2 },
    );
    const flood = Array.from({ length: 20 }, (_, i) => b.submit(`flood:${i}`));
    const others = ['a:0', 'b:0', 'a:1'].map((s) => b.submit(s));
    await Promise.all([...flood, ...others]);
    const floods = batches.map((batch) => batch.filter((s) => s.startsWith('flood')).length);
    // While a and b wait the flood gets 2 places; alone again, 8.
    expect(batches[0]).toEqual(['flood:0', 'flood:1', 'a:0', 'b:0', 'a:1']);
    expect(floods).toEqual([2, 8, 8, 2]);
  });

  describe('a rate per key for limited items', () => {
    const rated = (perSecond: number, burst: number) => {
      const committed: { item: string; at: number }[] = [];
      const t0 = performance.now();
      const b = new Batcher<string, string>(
        async (items) => {
          for (const item of items) committed.push({ item, at: performance.now() - t0 });
          return items;
        },
        512,
        { keyOf: (s) => s.split(':')[0]!, perKey: 8, whenOthersWait: 2, rate: { perSecond, burst } },
      );
      return { b, committed };
    };

    it('holds a key past its burst to its rate, in order, and lets every other key past at once', async () => {
      const { b, committed } = rated(40, 10);
      const t0 = performance.now();
      const flood = Array.from({ length: 30 }, (_, i) => b.submit(`flood:${i}`, true));
      await new Promise((r) => setTimeout(r, 100));
      // The burst went at once; the rest trickle at 40 a second (however late this timer fired).
      const early = committed.length;
      expect(early).toBeGreaterThanOrEqual(10);
      expect(early).toBeLessThanOrEqual(10 + Math.ceil(((performance.now() - t0) * 40) / 1000));
      await b.submit('other:0', true);
      // Another key's item (limited too, with its own full bucket) does not queue behind the flood.
      expect(committed.filter((c) => c.item.startsWith('flood')).length).toBeLessThan(30);
      await Promise.all(flood);
      const floods = committed.filter((c) => c.item.startsWith('flood'));
      expect(floods.map((c) => c.item)).toEqual(Array.from({ length: 30 }, (_, i) => `flood:${i}`));
      // 20 items past the burst at 40/s: about half a second.
      expect(floods.at(-1)!.at - floods[9]!.at).toBeGreaterThanOrEqual(450);
    });

    it('never holds an unlimited item (a panic) behind its own key’s limited ones', async () => {
      const { b, committed } = rated(10, 5);
      const flood = Array.from({ length: 20 }, (_, i) => b.submit(`p1:intrusion-${i}`, true));
      await new Promise((r) => setTimeout(r, 50));
      await b.submit('p1:panic');
      // Committed with the first of the held ones at most (the burst is 5, the rate 10 a second).
      expect(committed.findIndex((c) => c.item === 'p1:panic')).toBeLessThan(10);
      expect(committed.length).toBeLessThan(20);
      await Promise.all(flood);
    });

    it('commits everything queued at once when drained (a stop)', async () => {
      const { b, committed } = rated(0.1, 2);
      const flood = Array.from({ length: 50 }, (_, i) => b.submit(`flood:${i}`, true));
      await new Promise((r) => setTimeout(r, 30));
      expect(committed.length).toBe(2);
      // At a tenth of an event a second the rest would take 8 minutes; a drain commits them now.
      await b.drain();
      await Promise.all(flood);
      expect(committed).toHaveLength(50);
    });

    it('without a rate, limited items are not held', async () => {
      const committed: string[] = [];
      const b = new Batcher<string, string>(
        async (items) => {
          committed.push(...items);
          return items;
        },
        512,
        { keyOf: (s) => s.split(':')[0]!, perKey: 8 },
      );
      await Promise.all(Array.from({ length: 100 }, (_, i) => b.submit(`flood:${i}`, true)));
      expect(committed).toHaveLength(100);
    });
  });

  describe('a life-safety item (urgent)', () => {
    /** Runs `fn` with an immediate queued before it; returns what happened, in order. */
    async function race(order: string[], fn: () => Promise<unknown>) {
      setImmediate(() => order.push('immediate queued before'));
      await fn();
      await new Promise((r) => setImmediate(r));
      return order;
    }
    const recording = (order: string[], now?: () => number) =>
      new Batcher<string, string>(
        async (items) => {
          order.push(`flush ${items.join(',')}`);
          return items;
        },
        512,
        undefined,
        now ? { now } : {},
      );

    it('is committed in the turn it arrived, ahead of work queued for the check phase', async () => {
      const order: string[] = [];
      const b = recording(order);
      expect(await race(order, () => b.submit('panic', false, true))).toEqual([
        'flush panic',
        'immediate queued before',
      ]);
      // Any other item waits for the check phase, to be grouped with the turn's others.
      order.length = 0;
      await new Promise((r) => setTimeout(r, 5));
      expect(await race(order, () => b.submit('intrusion'))).toEqual([
        'immediate queued before',
        'flush intrusion',
      ]);
    });

    it('takes along everything the same turn submits', async () => {
      const order: string[] = [];
      const b = recording(order);
      await Promise.all([b.submit('intrusion'), b.submit('panic', false, true), b.submit('fault')]);
      expect(order).toEqual(['flush intrusion,panic,fault']);
    });

    it('within burstMs of the last flush is grouped like any other item (a burst of alarms)', async () => {
      const order: string[] = [];
      let t = 1000;
      const b = recording(order, () => t);
      await b.submit('panic 1', false, true);
      t += 1; // the next panel's panic, a millisecond later
      order.length = 0;
      expect(await race(order, () => b.submit('panic 2', false, true))).toEqual([
        'immediate queued before',
        'flush panic 2',
      ]);
      t += 2; // quiet again
      order.length = 0;
      expect(await race(order, () => b.submit('panic 3', false, true))).toEqual([
        'flush panic 3',
        'immediate queued before',
      ]);
    });
  });
});
