import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { Directory } from '../../src/core/directory.js';
import { syncConfig, treePairs } from '../../src/reports/facts-backfill.js';
import { FactsStore } from '../../src/reports/facts-store.js';
import '../../src/reports/report-tables.js';
import { stopSharedPostgres, storeBackends, type TestStore } from '../helpers/postgres.js';
import { REPORT_CITY } from './report-fixture.js';

afterAll(() => stopSharedPostgres(), 60_000);

/**
 * The city's tree and sites written for the reports as a node starts (`syncConfig`), on SQLite and on
 * PostgreSQL, where several nodes of a city start at once after a change to its configuration.
 */
describe.each(storeBackends('facts-backfill'))('syncConfig on %s', (_name, open) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await open();
  }, 60_000);
  afterEach(async () => t?.cleanup());

  it('three nodes starting at the same instant with a changed city each start; the tree is written once, whole', async () => {
    const before = new Directory(parseConfig(REPORT_CITY(false), 'before.yaml'));
    const after = new Directory(parseConfig(REPORT_CITY(true), 'after.yaml'));
    const facts = new FactsStore(t.store.k, t.store.dialect);
    await syncConfig(facts, before, Date.parse('2026-01-01T00:00:00Z'));
    // Several rounds: whether the nodes' rewrites overlap varies.
    for (let round = 1; round <= 3; round++) {
      const city = round % 2 === 1 ? after : before;
      const nodes = [1, 2, 3].map(() => syncConfig(facts, city, Date.parse('2026-02-01T00:00:00Z')));
      const started = await Promise.allSettled(nodes);
      expect(
        started.map((s) => (s.status === 'rejected' ? String(s.reason) : 'ok')),
        `round ${round}`,
      ).toEqual(['ok', 'ok', 'ok']);
      const tree = await t.store.k.selectFrom('report_tree').select(['ancestor', 'node']).execute();
      const key = (p: { ancestor: string; node: string }) => `${p.ancestor}>${p.node}`;
      expect(tree.map(key).sort(), `round ${round}`).toEqual(treePairs(city).map(key).sort());
    }
  });
});
