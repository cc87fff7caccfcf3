import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventType } from '../../src/core/events.js';
import { type CoreFixture, ev, openCore } from './core-fixture.js';

describe('the correlated mark rides in the incident transaction', () => {
  let fx: CoreFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it.each([
    { what: 'a panic opening an incident', types: ['panic'], separate: 0, incidents: 1 },
    {
      what: 'a second zone joining and confirming',
      types: ['intrusion', 'intrusion'],
      separate: 0,
      incidents: 1,
    },
    { what: 'a trouble opening a ticket', types: ['trouble'], separate: 0, incidents: 1 },
    { what: 'an arm changing site state only', types: ['arm'], separate: 1, incidents: 0 },
    { what: 'a test report deciding nothing', types: ['test'], separate: 1, incidents: 0 },
  ] as { what: string; types: EventType[]; separate: number; incidents: number }[])(
    '$what: $separate separate mark commit(s), nothing left uncorrelated',
    async ({ types, separate, incidents }) => {
      fx = openCore();
      const mark = vi.spyOn(fx.store.events, 'markCorrelated');
      for (const [i, type] of types.entries()) await fx.core.ingest(ev(type, { zone: String(i + 1) }));
      expect(mark).toHaveBeenCalledTimes(separate);
      expect(await fx.store.events.uncorrelated(10)).toEqual([]);
      expect(await fx.store.incidents.list({})).toHaveLength(incidents);
    },
  );

  it('an event whose incident write failed stays uncorrelated and is correlated once by recover()', async () => {
    fx = openCore();
    const panic = ev('panic');
    const create = vi.spyOn(fx.store.incidents, 'create').mockRejectedValueOnce(new Error('disk full'));
    await expect(fx.core.ingest(panic)).rejects.toThrow('disk full');
    create.mockRestore();
    // Committed (the panel may be told nothing, but the event is on disk) and not marked.
    expect((await fx.store.events.uncorrelated(10)).map((e) => e.key)).toEqual([panic.key]);

    const dataDir = fx.dir;
    await fx.close({ keep: true });
    fx = openCore({ dataDir });
    expect(await fx.core.recover()).toBe(1);
    expect(await fx.core.recover()).toBe(0);
    const list = await fx.store.incidents.list({});
    expect(list.map((i) => i.events.map((e) => e.key))).toEqual([[panic.key]]);
    // A redelivery after recovery finds the incident and opens no other.
    const again = await fx.core.ingest(panic);
    expect(again).toMatchObject({ duplicate: true, incident: list[0]!.id });
  });
});
