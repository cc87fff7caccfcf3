import { afterAll, describe, expect, it } from 'vitest';
import { DecisionStore } from '../../../src/store/decision-store.js';
import { stopSharedPostgres, storeBackendsFrom } from '../../helpers/postgres.js';

afterAll(() => stopSharedPostgres(), 60_000);

/** A P1 opened at 10:00 whose first step was taken on time, stored before migration 118. */
const insertOld = `
  INSERT INTO incidents (id, site, jurisdiction, priority, state, rule, kind, confirmed, opened_at, updated_at, event_count)
    VALUES ('inc-1', 'shop-1', 'north-grid-1', 1, 'new', 'panic', 'alarm', 1, '2026-12-07T02:00:00.000Z', '2026-12-07T02:05:00.000Z', 0);
  INSERT INTO escalations (incident_id, step, kind, jurisdiction, at)
    VALUES ('inc-1', 1, 'reannounce', 'north-grid-1', '2026-12-07T02:05:00.000Z')`;

/** A database at 117 holding the old step, then opened as the service opens it (every migration). */
const backends = storeBackendsFrom('mig118', 117, insertOld);

describe.each(backends)('migration 118: an escalation step keeps when it fell due (%s)', (_name, open) => {
  it('a step taken late reads back with its due time; one stored before reads as it did', async () => {
    const { store, cleanup } = await open();
    try {
      // Step 2 fell due at 10:05 (with step 1) and was taken at 13:40, when the service was back.
      const decisions = new DecisionStore(store.k, store.dialect);
      const taken = await store.k.transaction().execute((tx) =>
        decisions.recordEscalation(tx, 'inc-1', {
          step: 2,
          kind: 'escalate',
          jurisdiction: 'north',
          at: '2026-12-07T05:40:00.000Z',
          dueAt: '2026-12-07T02:05:00.000Z',
        }),
      );
      expect(taken).toBe(true);
      const inc = await store.incidents.get('inc-1');
      expect(inc?.escalations).toStrictEqual([
        { step: 1, kind: 'reannounce', jurisdiction: 'north-grid-1', at: '2026-12-07T02:05:00.000Z' },
        {
          step: 2,
          kind: 'escalate',
          jurisdiction: 'north',
          at: '2026-12-07T05:40:00.000Z',
          dueAt: '2026-12-07T02:05:00.000Z',
        },
      ]);
    } finally {
      await cleanup();
    }
  });
});
