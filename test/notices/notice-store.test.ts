import { type CompiledQuery, type Kysely, type KyselyPlugin, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { NoticeStore } from '../../src/notices/notice-store.js';
import type { DB } from '../../src/store/db-types.js';
import { stopSharedPostgres, storeBackends } from '../helpers/postgres.js';

afterAll(() => stopSharedPostgres(), 60_000);

/** 北城 and 南城 with 12 stations each under the city: the senders a supervisor's subtree gives. */
const DISTRICTS = ['north', 'south'];
const stations = (d: string) => Array.from({ length: 12 }, (_, i) => `${d}-${i}`);
const NODES = ['city', ...DISTRICTS.flatMap((d) => [d, ...stations(d)])];
const NOTICES = 3000;

/** Every query `k` runs, as compiled: what EXPLAIN is asked about is the store's own SQL. */
function recording(k: Kysely<DB>): { k: Kysely<DB>; queries: CompiledQuery[] } {
  const queries: CompiledQuery[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      queries.push(k.getExecutor().compileQuery(args.node, args.queryId));
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { k: k.withPlugin(plugin), queries };
}

/**
 * GET /api/notices/sent reads the latest notices of the viewer's subtree (`sentFrom`), from a table
 * that keeps every notice the city ever sent: a node with few notices is read by `notices_sender`
 * (sender_scope, sent_ms, id), not by a walk of every notice of the city.
 */
describe.each(storeBackends('notice-store'))('the notices a node sent, by its index (%s)', (name, open) => {
  it('reads a station’s notices through notices_sender, and no subtree’s by a walk of the table', async () => {
    const { store, cleanup } = await open();
    try {
      const t0 = Date.UTC(2026, 0, 1);
      const rows = Array.from({ length: NOTICES }, (_, i) => ({
        id: `n-${String(i).padStart(5, '0')}`,
        sent_by: 'sup',
        // The city's 110 centre sends most (a wanted plate goes city-wide); each node below a few.
        sender_scope: i % 10 === 0 ? NODES[(i / 10) % NODES.length]! : 'city',
        sent_at: new Date(t0 + i * 60_000).toISOString(),
        sent_ms: t0 + i * 60_000,
        text: `通知 ${i}`,
        receipt_minutes: 10,
        list_minutes: 30,
        plate: null,
        plate_until_ms: null,
        photo: null,
      }));
      for (let i = 0; i < rows.length; i += 500)
        await store.k
          .insertInto('notices')
          .values(rows.slice(i, i + 500))
          .execute();
      if (name === 'postgres') await sql`ANALYZE`.execute(store.k);

      const { k, queries } = recording(store.k);
      const notices = new NoticeStore(k);
      const plans: string[] = [];
      // A station, a district (itself and its stations) and the city (every node).
      for (const senders of [['north-3'], ['north', ...stations('north')], NODES]) {
        queries.length = 0;
        const got = await notices.sentFrom(senders, 20);
        expect(got.length).toBeGreaterThan(0);
        expect(got.every((n) => senders.includes(n.senderScope))).toBe(true);
        expect(got.map((n) => n.sentMs)).toEqual([...got.map((n) => n.sentMs)].sort((a, b) => b - a));
        const q = queries[0]!;
        expect(q.sql).toMatch(/from "notices"/);
        const plan =
          name === 'sqlite'
            ? (
                await store.k.executeQuery<{ detail: string }>({ ...q, sql: `EXPLAIN QUERY PLAN ${q.sql}` })
              ).rows.map((r) => r.detail)
            : (
                await store.k.executeQuery<{ 'QUERY PLAN': string }>({ ...q, sql: `EXPLAIN ${q.sql}` })
              ).rows.map((r) => r['QUERY PLAN']);
        plans.push(plan.join('\n'));
      }
      // The station's few: by notices_sender, newest first straight from it (before: SQLite walked
      // every notice back through notices_sent, PostgreSQL read the whole table and sorted it).
      expect(plans[0]).toMatch(/notices_sender/);
      // A subtree whose notices are many may be read back through notices_sent instead (PostgreSQL
      // judges by its statistics): 20 are found at once there. Never the whole table.
      for (const plan of plans) expect(plan).not.toMatch(/^SCAN notices$|Seq Scan/m);
      if (name === 'sqlite') for (const plan of plans) expect(plan).toMatch(/notices_sender/);
    } finally {
      await cleanup();
    }
  });
});
