import { describe, expect, it } from 'vitest';
import { Metrics } from '../src/metrics.js';

const delay = (text: string, q: string) =>
  Number(
    text.match(new RegExp(`^sharpeyes_event_loop_delay_seconds\\{quantile="${q}"\\} (\\S+)$`, 'm'))?.[1],
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Metrics: sharpeyes_event_loop_delay_seconds', () => {
  it('says how long the loop was held, not the sampling interval', async () => {
    const m = new Metrics();
    await m.registry.metrics(); // starts a window
    await sleep(300);
    const idle = await m.registry.metrics();
    // Nothing held the loop: well under the 10 ms the sampler's timer waits between samples.
    expect(delay(idle, '0.5')).toBeGreaterThanOrEqual(0);
    expect(delay(idle, '0.5')).toBeLessThan(0.005);

    await sleep(50);
    const until = Date.now() + 60;
    while (Date.now() < until); // the loop held for 60 ms
    await sleep(100);
    const held = await m.registry.metrics();
    expect(delay(held, '1')).toBeGreaterThan(0.045);
    expect(delay(held, '1')).toBeLessThan(1);
  });
});
