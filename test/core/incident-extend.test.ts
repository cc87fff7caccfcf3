import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { rehearseViews } from '../../src/core/incident-extend.js';
import type { Incident } from '../../src/core/incident-types.js';
import { preparedBuilds } from '../../src/store/prepared.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { rowCount } from '../helpers/rows.js';
import { type CoreFixture, ev, openCoreOn } from './core-fixture.js';

/**
 * Issue 13: the push of the first alarm after a start. Before the sinks run, the service rehearses
 * a panic (rolled back), reads its incident's view inside that transaction as the bus relay reads it
 * for `incident:new`, and passes it through the modules' annotations. The first real push then builds
 * nothing, and nothing of the rehearsal is kept or pushed.
 */
describe.each(['sqlite', 'postgres'] as const)('rehearseViews on %s', (db) => {
  let fx: CoreFixture;
  afterEach(() => fx?.close());
  afterAll(() => stopSharedPostgres());

  const open = async () => {
    fx = await openCoreOn(db, { audit: true });
    // Only the reads are watched: the sinks (which build their own reads on first use) are stopped.
    await fx.dispatcher.stop();
  };

  it('reads the rehearsed incident inside its transaction, annotates it, and keeps nothing', async () => {
    await open();
    const pushed: string[] = [];
    fx.bus.on('incident:new', (inc) => pushed.push(inc.id));
    const annotated: Incident[] = [];
    const viewer = async (incs: readonly Incident[]) => {
      annotated.push(...incs);
      return [...incs];
    };
    const read = await rehearseViews(fx.core, fx.store.incidents, viewer, ev('panic'));
    expect(read).toBe(2);
    expect(annotated).toHaveLength(2);
    expect(annotated[0]).toMatchObject({ site: 'shop-1', priority: 1, state: 'new' });
    expect(annotated[0]!.events).toHaveLength(1);
    // Rolled back: the incident the annotations saw is not in the store, and nothing was announced.
    expect(await fx.store.incidents.get(annotated[0]!.id)).toBeUndefined();
    for (const t of ['events', 'incidents', 'transitions', 'incident_events', 'outbox'] as const)
      expect(await rowCount(fx.store.k, t)).toBe(0);
    expect(pushed).toEqual([]);
  });

  it('after it, the first real incident view builds no statement', async () => {
    await open();
    await fx.core.rehearse([ev('panic')], 1);
    await rehearseViews(fx.core, fx.store.incidents, async (incs) => [...incs], ev('panic'));
    const out = await fx.core.ingest(ev('panic'));
    const before = preparedBuilds();
    expect(await fx.store.incidents.view(out.incident!)).toMatchObject({ id: out.incident });
    expect(preparedBuilds()).toBe(before);
  });

  it('without it, the first real incident view builds its statements (what the rehearsal spares)', async () => {
    await open();
    await fx.core.rehearse([ev('panic')], 1);
    const out = await fx.core.ingest(ev('panic'));
    const before = preparedBuilds();
    expect(await fx.store.incidents.view(out.incident!)).toMatchObject({ id: out.incident });
    expect(preparedBuilds()).toBeGreaterThan(before);
  });
});
