import { afterEach, describe, expect, it } from 'vitest';
import { type CoreFixture, ev, openCore } from './core-fixture.js';

describe('event core', () => {
  let fx: CoreFixture;
  afterEach(() => fx?.close());

  it('times each event from hand-over to a durable decision, per source', async () => {
    fx = await openCore();
    const flood = Array.from({ length: 30 }, () => ev('intrusion', { zone: '1' }));
    const cameras = Array.from({ length: 3 }, () => ev('motion'));
    await Promise.all([...flood, ...cameras].map((e) => fx.core.ingest(e)));
    const text = await fx.metrics.registry.getSingleMetricAsString('sharpeyes_event_commit_seconds');
    expect(text).toMatch(/^sharpeyes_event_commit_seconds_count\{source="panel"\} 30$/m);
    expect(text).toMatch(/^sharpeyes_event_commit_seconds_count\{source="camera"\} 3$/m);
    const sum = Number(/^sharpeyes_event_commit_seconds_sum\{source="panel"\} (\S+)$/m.exec(text)?.[1]);
    expect(sum).toBeGreaterThan(0);
  });
});
