import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres.js';
import { relaxedTransaction } from '../../src/store/relaxed.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';

afterAll(() => stopSharedPostgres());

const cursor = (sink: string) => ({ sink, seq: 7, updated_at: new Date().toISOString() });

describe('a relaxed transaction (sink output re-derived after a crash)', () => {
  it('SQLite: commits with synchronous=NORMAL and puts FULL back, also when it throws', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-relaxed-'));
    const store = new SqliteStore(join(dir, 'sharpeyes.db'));
    const level = () => (store.db.pragma('synchronous') as { synchronous: number }[])[0]!.synchronous;
    try {
      expect(level()).toBe(2);
      const inside = await relaxedTransaction(store.k, async (tx) => {
        await tx.insertInto('outbox_cursors').values(cursor('a')).execute();
        return level();
      });
      expect(inside).toBe(1);
      expect(level()).toBe(2);
      await expect(
        relaxedTransaction(store.k, async (tx) => {
          await tx.insertInto('outbox_cursors').values(cursor('b')).execute();
          throw new Error('sink failed');
        }),
      ).rejects.toThrow('sink failed');
      expect(level()).toBe(2);
      const sinks = await store.k.selectFrom('outbox_cursors').select('sink').orderBy('sink').execute();
      expect(sinks.map((r) => r.sink)).toEqual(['a']);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: synchronous_commit is off for that transaction only', async () => {
    const store = await openPostgresStore(await freshPostgresDatabase());
    const setting = async (db: typeof store.k | Parameters<Parameters<typeof relaxedTransaction>[1]>[0]) =>
      (await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(db)).rows[0]!
        .synchronous_commit;
    try {
      const inside = await relaxedTransaction(store.k, async (tx) => {
        await tx.insertInto('outbox_cursors').values(cursor('a')).execute();
        return setting(tx);
      });
      expect(inside).toBe('off');
      expect(await setting(store.k)).toBe('on');
      const rows = await store.k
        .selectFrom('outbox_cursors')
        .select('sink')
        .where('sink', '=', 'a')
        .execute();
      expect(rows).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
