import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { SharpeyesError } from '../errors.js';
import type { DB } from './db-types.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import { numberedParameters, splitStatements, toPostgres } from './migrations/postgres.js';
import { Store } from './sqlite.js';
import { takeTurn } from './turns.js';

// BIGINT (epoch milliseconds, counts) and NUMERIC (averages) as numbers, as SQLite returns them.
pg.types.setTypeParser(20, (v: string) => Number(v));
pg.types.setTypeParser(1700, (v: string) => Number(v));

/** Applies the migrations a PostgreSQL database lacks, each in its own transaction. */
export async function migratePostgres(
  k: Kysely<DB>,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`.execute(
    k,
  );
  // Several nodes may start at once: one migrates, the others wait for it.
  return k.transaction().execute(async (tx) => {
    await takeTurn(tx, 'postgres', 'migrations');
    const applied = new Set(
      (await sql<{ version: number }>`SELECT version FROM schema_migrations`.execute(tx)).rows.map((r) =>
        Number(r.version),
      ),
    );
    let count = 0;
    let last = 0;
    for (const m of migrations) {
      if (m.version <= last)
        throw new SharpeyesError('store', `migration ${m.name} is out of order (version ${m.version})`);
      last = m.version;
      if (applied.has(m.version)) continue;
      for (const stmt of splitStatements(m.postgres ?? toPostgres(m.sql))) await sql.raw(stmt).execute(tx);
      if (m.fill) {
        const update = numberedParameters(m.fill.update);
        const selected = (await sql.raw<Record<string, unknown>>(m.fill.select).execute(tx)).rows;
        for (const params of m.fill.rows(selected)) await tx.executeQuery(CompiledQuery.raw(update, params));
      }
      await sql`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${new Date().toISOString()})`.execute(
        tx,
      );
      count++;
    }
    return count;
  });
}

/** A city's store: PostgreSQL through a connection pool, migrated on open. */
export async function openPostgresStore(url: string, opts: { poolSize?: number } = {}): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
  const k = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migratePostgres(k);
  } catch (err) {
    await k.destroy();
    throw err;
  }
  return new Store(k, 'postgres', undefined, () => k.destroy());
}
