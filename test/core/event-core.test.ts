import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { preparedBuilds } from '../../src/store/prepared.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { rowCount } from '../helpers/rows.js';
import { type CoreFixture, ev, openCore, openCoreOn } from './core-fixture.js';

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

/**
 * Issue 13: an incident's id is random within its day (32 bits), so at city scale two new incidents
 * draw the same id now and then. A taken id failed the whole decision: the panic was not stored, its
 * panel got no PUBACK, and the alarm waited for a redelivery. The decider now draws again.
 */
describe.each(['sqlite', 'postgres'] as const)('a new incident whose id is taken, on %s', (db) => {
  let fx: CoreFixture;
  afterEach(() => fx?.close());
  afterAll(() => stopSharedPostgres());

  it('draws another id in the same decision: the alarm is stored and opens its incident', async () => {
    // The first incident takes A; the second draws A, then A again, then B.
    const draws = [
      'INC-20261205-AAAAAAAA',
      'INC-20261205-AAAAAAAA',
      'INC-20261205-AAAAAAAA',
      'INC-20261205-BBBBBBBB',
    ];
    fx = await openCoreOn(db, { incidentIds: () => draws.shift() ?? 'INC-20261205-FFFFFFFF' });
    const pushed: string[] = [];
    fx.bus.on('incident:new', (inc) => pushed.push(inc.id));

    const first = await fx.core.ingest(ev('panic', { site: 'shop-1', device: 'panel-1' }));
    const second = await fx.core.ingest(ev('panic', { site: 'bank-2', device: 'panel-2' }));

    expect(first).toMatchObject({ duplicate: false, incident: 'INC-20261205-AAAAAAAA', state: 'new' });
    expect(second).toMatchObject({ duplicate: false, incident: 'INC-20261205-BBBBBBBB', state: 'new' });
    expect(draws).toEqual([]);
    const incidents = await fx.store.k.selectFrom('incidents').select(['id', 'site']).orderBy('id').execute();
    expect(incidents).toEqual([
      { id: 'INC-20261205-AAAAAAAA', site: 'shop-1' },
      { id: 'INC-20261205-BBBBBBBB', site: 'bank-2' },
    ]);
    // The first incident kept its one event, its opening and its zone; the second has its own.
    const links = await fx.store.k
      .selectFrom('incident_events')
      .select('incident_id')
      .orderBy('incident_id')
      .execute();
    expect(links.map((l) => l.incident_id)).toEqual(['INC-20261205-AAAAAAAA', 'INC-20261205-BBBBBBBB']);
    expect(await rowCount(fx.store.k, 'transitions')).toBe(2);
    await fx.settle();
    expect(pushed).toEqual(['INC-20261205-AAAAAAAA', 'INC-20261205-BBBBBBBB']);
    expect(await fx.metrics.registry.getSingleMetricAsString('sharpeyes_incident_id_redraws_total')).toMatch(
      /^sharpeyes_incident_id_redraws_total 2$/m,
    );
  });
});

/**
 * Issue 13: the core rehearses the decision before panels may connect, so the first alarm after a
 * start does not pay for building its statements (it took 10–25 ms to its PUBACK, the later ones 3–5).
 */
describe.each(['sqlite', 'postgres'] as const)('the start-up rehearsal on %s', (db) => {
  let fx: CoreFixture;
  afterEach(() => fx?.close());
  afterAll(() => stopSharedPostgres());

  const open = async () => {
    fx = await openCoreOn(db, { audit: true });
  };
  const counts = async () => {
    const n = (t: 'events' | 'incidents' | 'transitions' | 'incident_events' | 'outbox') =>
      rowCount(fx.store.k, t);
    return {
      events: await n('events'),
      incidents: await n('incidents'),
      transitions: await n('transitions'),
      incidentEvents: await n('incident_events'),
      outbox: await n('outbox'),
    };
  };

  it('decides as ingest would and keeps nothing: no row, no metric, no push', async () => {
    await open();
    const pushed: string[] = [];
    fx.bus.on('incident:new', (inc) => pushed.push(inc.id));
    await fx.core.rehearse([ev('panic'), ev('intrusion', { zone: '1' }), ev('restore')], 3);
    await fx.settle();
    expect(await counts()).toEqual({ events: 0, incidents: 0, transitions: 0, incidentEvents: 0, outbox: 0 });
    expect(pushed).toEqual([]);
    const metrics = await fx.metrics.registry.metrics();
    expect(metrics).not.toMatch(/^sharpeyes_incidents_opened_total\{/m);
    expect(metrics).not.toMatch(/^sharpeyes_correlation_decisions_total\{/m);
    expect(metrics).not.toMatch(/^sharpeyes_events_committed_total\{/m);
    // The first real panic after it opens its incident and is announced, as on a core that never rehearsed.
    const out = await fx.core.ingest(ev('panic'));
    expect(out).toMatchObject({ duplicate: false, state: 'new' });
    await fx.settle();
    expect(pushed).toEqual([out.incident]);
    expect(await counts()).toMatchObject({ events: 1, incidents: 1, transitions: 1, incidentEvents: 1 });
    expect(await fx.metrics.registry.metrics()).toMatch(
      /^sharpeyes_incidents_opened_total\{priority="1",rule="[^"]+"\} 1$/m,
    );
  });

  it('leaves nothing for the first real alarms to build', async () => {
    await open();
    // Only the decision is watched: the sinks (which build their reads on first use) are stopped.
    await fx.dispatcher.stop();
    const before = preparedBuilds();
    await fx.core.rehearse([ev('panic'), ev('intrusion', { zone: '1' }), ev('restore')]);
    const rehearsed = preparedBuilds();
    expect(rehearsed).toBeGreaterThan(before);
    for (const e of [ev('panic'), ev('intrusion', { zone: '1' }), ev('restore')]) await fx.core.ingest(e);
    expect(preparedBuilds()).toBe(rehearsed);
  });

  it('a cold core builds them on its first alarm (what the rehearsal spares it)', async () => {
    await open();
    await fx.dispatcher.stop();
    const before = preparedBuilds();
    await fx.core.ingest(ev('panic'));
    expect(preparedBuilds()).toBeGreaterThan(before);
  });
});
