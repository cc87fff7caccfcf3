import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres.js';
import { prepare } from '../../src/store/prepared.js';
import { SqliteStore, type Store } from '../../src/store/sqlite.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';

afterAll(() => stopSharedPostgres());

const at = (i: number) => new Date(Date.UTC(2026, 11, 2, 8, 0, i)).toISOString();

// A value used twice, a constant the builder wrote, and a limit.
const BY_TOPIC = prepare<{ topic: string; since: string; limit: number }>()((k, p) =>
  k
    .selectFrom('outbox')
    .select(['seq', 'topic', 'at'])
    .where('topic', '=', p('topic'))
    .where('at', '>=', p('since'))
    .where('site', 'in', ['s1', 's2'])
    .where((eb) => eb.or([eb('jurisdiction', '=', p('topic')), eb('jurisdiction', 'is', null)]))
    .orderBy('seq')
    .limit(p('limit')),
);
// A list parameter (`in`), compiled per length up to 8 and built each time past that.
const BY_SITES = prepare<{ sites: readonly string[] }>()((k, p) =>
  k.selectFrom('outbox').select(['seq', 'site']).where('site', 'in', p('sites')).orderBy('seq'),
);
const INSERT = prepare<{ topic: string; site: string | null; at: string }>()((k, p) =>
  k.insertInto('outbox').values({ at: p('at'), topic: p('topic'), site: p('site'), payload: '{}' }),
);

async function exercise(store: Store): Promise<void> {
  const k = store.k;
  // Rows through the prepared insert, in a transaction and outside one.
  await k.transaction().execute(async (tx) => {
    for (let i = 0; i < 6; i++)
      await INSERT.execute(tx, {
        topic: i % 2 ? 'incident:new' : 'event:stored',
        site: `s${i % 4}`,
        at: at(i),
      });
  });
  const r = await INSERT.execute(k, { topic: 'incident:new', site: null, at: at(9) });
  expect(Number(r.numAffectedRows)).toBe(1);
  for (let i = 0; i < 12; i++)
    await INSERT.execute(k, { topic: 'event:stored', site: `x${i}`, at: at(10 + i) });

  // The same compiled query with other values gives other answers (nothing of the first call stuck).
  const news = await BY_TOPIC.all(k, { topic: 'incident:new', since: at(0), limit: 10 });
  // s1 twice (i = 1, 5); s3 is not in the constant list, the null site neither
  expect(news.map((n) => n.at)).toEqual([at(1), at(5)]);
  const stored = await BY_TOPIC.all(k, { topic: 'event:stored', since: at(1), limit: 10 });
  expect(stored.map((n) => n.at)).toEqual([at(2)]); // s2 (at(0) is before `since`, s0 not in the list)
  expect(await BY_TOPIC.all(k, { topic: 'event:stored', since: at(0), limit: 0 })).toEqual([]);
  expect(await BY_TOPIC.first(k, { topic: 'nothing', since: at(0), limit: 5 })).toBeUndefined();

  const sites = async (list: string[]) => (await BY_SITES.all(k, { sites: list })).map((x) => x.site);
  expect(await sites(['s1'])).toEqual(['s1', 's1']);
  expect(await sites(['s3', 's0'])).toEqual(['s0', 's3', 's0']);
  expect(await sites(['s2'])).toEqual(['s2']); // length 1 again, other value
  const many = Array.from({ length: 12 }, (_, i) => `x${i}`); // past the compiled lengths
  expect(await sites(many)).toEqual(many);
  expect(await sites(['x3', 's1', 'nope'])).toEqual(['s1', 's1', 'x3']);

  // A missing value is an error, not a query run with the stand-in.
  await expect(
    BY_TOPIC.all(k, { topic: 'incident:new', since: at(0) } as unknown as Parameters<typeof BY_TOPIC.all>[1]),
  ).rejects.toThrow('parameter limit is missing');
}

describe('prepared queries (compiled once, run with new values)', () => {
  it('SQLite: values, repeated and list parameters, constants, transactions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-prepared-'));
    const store = new SqliteStore(join(dir, 'sharpeyes.db'));
    try {
      await exercise(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: the same queries compile to its own SQL ($1…) and give the same answers', async () => {
    const store = await openPostgresStore(await freshPostgresDatabase());
    try {
      await exercise(store);
    } finally {
      await store.close();
    }
  });
});

describe('prepared queries in a SQLite transaction (run at the call, without the executor)', () => {
  const withStore = async (fn: (store: Store) => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-prepared-direct-'));
    const store = new SqliteStore(join(dir, 'sharpeyes.db'));
    try {
      await fn(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const count = (store: Store) =>
    (store.db.prepare("SELECT count(*) AS n FROM outbox WHERE topic = 'direct'").get() as { n: number }).n;

  it('runs on the transaction’s connection without Kysely’s executor, with what the executor returned', async () => {
    await withStore(async (store) => {
      const outside = vi.spyOn(store.k, 'executeQuery');
      expect(await BY_TOPIC.all(store.k, { topic: 'direct', since: at(0), limit: 5 })).toEqual([]);
      expect(outside).toHaveBeenCalledTimes(1); // a lone query keeps the executor (and its lock)
      await store.k.transaction().execute(async (tx) => {
        const executor = vi.spyOn(tx, 'executeQuery');
        const r = await INSERT.execute(tx, { topic: 'direct', site: 's1', at: at(1) });
        expect(count(store)).toBe(1);
        expect(r.numAffectedRows).toBe(1n);
        expect(typeof r.insertId).toBe('bigint');
        expect(await BY_TOPIC.all(tx, { topic: 'direct', since: at(0), limit: 5 })).toEqual([
          { seq: Number(r.insertId), topic: 'direct', at: at(1) },
        ]);
        expect(executor).not.toHaveBeenCalled();
      });
      expect(count(store)).toBe(1);
      // Rolled back with its transaction like any statement of it.
      await store.k
        .transaction()
        .execute(async (tx) => {
          await INSERT.execute(tx, { topic: 'direct', site: 's2', at: at(2) });
          throw new Error('undo');
        })
        .catch(() => undefined);
      expect(count(store)).toBe(1);
    });
  });

  it('outside a transaction, waits for another caller’s open transaction instead of reading into it', async () => {
    await withStore(async (store) => {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const open = store.k
        .transaction()
        .execute(async (tx) => {
          await INSERT.execute(tx, { topic: 'direct', site: 's1', at: at(1) });
          await gate;
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      await new Promise((r) => setImmediate(r)); // the transaction holds the connection, its row written
      expect(count(store)).toBe(1); // (the raw connection is inside it)
      const outside = BY_TOPIC.all(store.k, { topic: 'direct', since: at(0), limit: 5 });
      release();
      await open;
      // The lone query ran after the rollback, so it never saw the row that was taken back.
      expect(await outside).toEqual([]);
    });
  });
});
