import { afterEach, describe, expect, it, vi } from 'vitest';
import { Directory } from '../../src/core/directory.js';
import { EscalationMaintainer } from '../../src/core/escalation-maintainer.js';
import { planSteps, stepsFor } from '../../src/core/escalation-policy.js';
import type { Escalation, Incident } from '../../src/core/incident-types.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { type CoreFixture, coreConfig, ev, openCore } from './core-fixture.js';

const T0 = new Date('2026-03-01T08:00:00Z').getTime();
const at = (seconds: number) => vi.setSystemTime(T0 + seconds * 1000);

function maintainer(fx: CoreFixture) {
  const seen: { incident: Incident; esc: Escalation }[] = [];
  const updates: string[] = [];
  fx.bus.on('incident:escalated', (incident, esc) => seen.push({ incident, esc }));
  fx.bus.on('incident:update', (_inc, change) => updates.push(change.kind));
  const m = new EscalationMaintainer({
    repo: fx.core.repo,
    core: fx.core,
    bus: fx.bus,
    tree: fx.directory.tree,
    config: fx.config.escalation,
    log: silentLogger,
    metrics: new Metrics({ defaults: false }),
  });
  return { m, seen, updates };
}

const steps = (inc: Incident | undefined) =>
  (inc?.escalations ?? []).map((e) => [e.step, e.kind, e.jurisdiction]);

describe('escalation policy', () => {
  const tree = new Directory(coreConfig()).tree;
  it.each([
    { where: 'grid site', node: 'north-grid-1', targets: ['north-grid-1', 'north', 'city'] },
    { where: 'station site', node: 'south', targets: ['south', 'district', 'city'] },
    { where: 'root site', node: 'city', targets: ['city', 'city', 'city'] },
  ])('a P1 at a $where goes to its desks, the parent, then the root', ({ node, targets }) => {
    const plan = planSteps(tree, node, new Date(T0).toISOString(), stepsFor(coreConfig().escalation, 1));
    expect(plan.map((s) => s.jurisdiction)).toEqual(targets);
    expect(plan.map((s) => (s.dueAt - T0) / 1000)).toEqual([300, 300, 1800]);
    expect(plan.map((s) => s.kind)).toEqual(['reannounce', 'escalate', 'escalate']);
  });

  it.each([
    { priority: 2 as const, seconds: [600, 600, 3600] },
    { priority: 3 as const, seconds: [] },
    { priority: 4 as const, seconds: [] },
  ])('P$priority defaults', ({ priority, seconds }) => {
    const plan = planSteps(
      tree,
      'north',
      new Date(T0).toISOString(),
      stepsFor(coreConfig().escalation, priority),
    );
    expect(plan.map((s) => (s.dueAt - T0) / 1000)).toEqual(seconds);
  });
});

describe('escalation maintainer (real SQLite file, fake clock)', () => {
  let fx: CoreFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
    vi.useRealTimers();
  });

  it('takes each due step once, and a restart in the middle neither loses nor repeats one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    at(0);
    fx = await openCore();
    const { incident } = await fx.core.ingest(ev('panic'));
    let run = maintainer(fx);

    at(299);
    expect(await run.m.check()).toBe(0);
    at(300);
    expect(await run.m.check()).toBe(2);
    await fx.settle();
    expect(run.seen.map((s) => [s.esc.step, s.esc.kind, s.esc.jurisdiction])).toEqual([
      [1, 'reannounce', 'north-grid-1'],
      [2, 'escalate', 'north'],
    ]);
    expect(run.updates).toEqual(['escalation', 'escalation']);
    at(301);
    expect(await run.m.check()).toBe(0);

    // Restart: the process goes away, a new one opens the same file.
    const dataDir = fx.dir;
    await fx.close({ keep: true });
    fx = await openCore({ dataDir });
    run = maintainer(fx);
    at(310);
    expect(await run.m.check()).toBe(0);
    at(1799);
    expect(await run.m.check()).toBe(0);
    at(1800);
    expect(await run.m.check()).toBe(1);
    await fx.settle();
    expect(run.seen.map((s) => [s.esc.step, s.esc.jurisdiction])).toEqual([[3, 'city']]);
    expect(run.seen[0]?.incident.escalations).toHaveLength(3);
    at(4000);
    expect(await run.m.check()).toBe(0);
    expect(steps(await fx.core.get(incident!))).toEqual([
      [1, 'reannounce', 'north-grid-1'],
      [2, 'escalate', 'north'],
      [3, 'escalate', 'city'],
    ]);
  });

  it('steps that fell due while the service was down are all taken once after the restart', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    at(0);
    fx = await openCore();
    const { incident } = await fx.core.ingest(ev('fire', { site: 'bank-2', device: 'panel-2' }));
    at(100);
    expect(await maintainer(fx).m.check()).toBe(0);
    const dataDir = fx.dir;
    await fx.close({ keep: true });

    at(2000);
    fx = await openCore({ dataDir });
    const run = maintainer(fx);
    const [a, b] = await Promise.all([run.m.check(), run.m.check()]);
    expect(a).toBe(3);
    expect(b).toBe(3); // overlapping checks share one run
    expect(await run.m.check()).toBe(0);
    expect(steps(await fx.core.get(incident!))).toEqual([
      [1, 'reannounce', 'south'],
      [2, 'escalate', 'district'],
      [3, 'escalate', 'city'],
    ]);
    // Each says when it was taken (at the restart, all three) and when it fell due (a P1: 300, 300
    // and 1800 s after the incident opened), so the history does not read as three steps at once.
    await fx.settle();
    const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
    expect(run.seen.map((s) => [s.esc.step, s.esc.dueAt, s.esc.at])).toEqual([
      [1, iso(300), iso(2000)],
      [2, iso(300), iso(2000)],
      [3, iso(1800), iso(2000)],
    ]);
  });

  it('an incident acknowledged in time never escalates', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    at(0);
    fx = await openCore();
    const { incident } = await fx.core.ingest(ev('panic'));
    at(120);
    await fx.core.transition(incident!, 'acknowledged', 'op-north');
    at(5000);
    const run = maintainer(fx);
    expect(await run.m.check()).toBe(0);
    expect((await fx.core.get(incident!))?.escalations).toEqual([]);
  });

  it('runs on its interval and follows the configured policy', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    at(0);
    fx = await openCore({
      extraYaml: `
escalation:
  checkSeconds: 5
  P2: [{ afterSeconds: 60, action: escalate, to: root }]
`,
    });
    const { incident } = await fx.core.ingest(ev('intrusion', { zone: '1' }));
    const run = maintainer(fx);
    run.m.start();
    await vi.advanceTimersByTimeAsync(55_000);
    await run.m.check();
    // A turn of the loop, in which the bus would hear an escalation committed by the check.
    await new Promise((r) => setImmediate(r));
    expect(run.seen).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(5_000);
    await run.m.check();
    // The bus hears it from the outbox on the loop's next turn (src/outbox/outbox-dispatcher.ts).
    await expect
      .poll(() => run.seen.map((s) => [s.incident.id, s.esc.step, s.esc.kind, s.esc.jurisdiction]))
      .toEqual([[incident, 1, 'escalate', 'city']]);
    await run.m.stop();
  });
});
