import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { TURNS, takeTurn } from '../../src/store/turns.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';

afterAll(() => stopSharedPostgres());

describe('takeTurn: nodes sharing one database take turns', () => {
  it('names each turn once, with its own key', () => {
    const keys = Object.values(TURNS);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('PostgreSQL: a second transaction waits for the first to commit; another turn or another site does not', async () => {
    const url = await freshPostgresDatabase();
    const a = await openPostgresStore(url);
    const b = await openPostgresStore(url);
    const order: string[] = [];
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let taken!: () => void;
      const isTaken = new Promise<void>((r) => {
        taken = r;
      });
      const first = a.k.transaction().execute(async (tx) => {
        await takeTurn(tx, 'postgres', 'storms');
        await takeTurn(tx, 'postgres', 'site', 'bank-1');
        taken();
        await held;
        order.push('first commits');
      });
      await isTaken;
      // Not the same lock: neither waits for the first.
      await b.k.transaction().execute(async (tx) => {
        await takeTurn(tx, 'postgres', 'audit');
        await takeTurn(tx, 'postgres', 'site', 'bank-2');
        order.push('other turns');
      });
      const second = b.k.transaction().execute(async (tx) => {
        await takeTurn(tx, 'postgres', 'storms');
        order.push('second has the turn');
      });
      const site = b.k.transaction().execute(async (tx) => {
        await takeTurn(tx, 'postgres', 'site', 'bank-1');
        order.push('same site has the turn');
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(order).toEqual(['other turns']);
      // The locks are the first transaction's, visible to PostgreSQL as advisory locks.
      const locks = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(
        b.k,
      );
      expect(locks.rows[0]!.n).toBe(2);
      release();
      await Promise.all([first, second, site]);
      expect(order.slice(0, 2)).toEqual(['other turns', 'first commits']);
      expect(order.slice(2).sort()).toEqual(['same site has the turn', 'second has the turn']);
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('SQLite: takes nothing (one writer already)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-turns-'));
    const store = new SqliteStore(join(dir, 'sharpeyes.db'));
    try {
      const done = await store.k.transaction().execute(async (tx) => {
        await takeTurn(tx, 'sqlite', 'storms');
        await takeTurn(tx, 'sqlite', 'site', 'bank-1');
        return true;
      });
      expect(done).toBe(true);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
