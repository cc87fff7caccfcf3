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
});
