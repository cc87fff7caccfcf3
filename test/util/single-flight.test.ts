import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../src/util/single-flight.js';

/** A run the test finishes by hand. */
function gated() {
  let open!: (v: number) => void;
  let fail!: (e: Error) => void;
  const runs: number[] = [];
  let n = 0;
  const work = () => {
    runs.push(++n);
    return new Promise<number>((resolve, reject) => {
      open = resolve;
      fail = reject;
    });
  };
  return { work, runs, open: (v: number) => open(v), fail: (e: Error) => fail(e) };
}

describe('SingleFlight', () => {
  it('a call while a run is in flight shares it; the next call after it starts another', async () => {
    const g = gated();
    const f = new SingleFlight(g.work, () => -1);
    const a = f.run();
    const b = f.run();
    expect(g.runs).toEqual([1]);
    g.open(7);
    expect(await a).toBe(7);
    expect(await b).toBe(7);
    const c = f.run();
    expect(g.runs).toEqual([1, 2]);
    g.open(8);
    expect(await c).toBe(8);
  });

  it('a failure resolves to what `failed` answers, and does not stop the next run', async () => {
    const g = gated();
    const seen: unknown[] = [];
    const f = new SingleFlight(g.work, (err) => {
      seen.push(err);
      return -1;
    });
    const a = f.run();
    g.fail(new Error('disk full'));
    expect(await a).toBe(-1);
    expect(seen.map((e) => (e as Error).message)).toEqual(['disk full']);
    const b = f.run();
    expect(g.runs).toEqual([1, 2]);
    g.open(3);
    expect(await b).toBe(3);
  });

  it('settled() waits for the run in flight, and resolves at once when none is', async () => {
    const g = gated();
    const f = new SingleFlight(g.work, () => -1);
    await f.settled();
    void f.run();
    let done = false;
    const s = f.settled().then(() => {
      done = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    g.open(1);
    await s;
    expect(done).toBe(true);
  });
});
