import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { SqliteStore, type Store } from '../../src/store/sqlite.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';

type Schema = Record<string, string[]>;

async function sqliteSchema(s: SqliteStore): Promise<Schema> {
  const out: Schema = {};
  const tables = s.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .all() as { name: string }[];
  for (const { name } of tables) {
    out[name] = (s.db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string }[])
      .map((c) => c.name)
      .sort();
  }
  return out;
}

async function postgresSchema(s: Store): Promise<Schema> {
  const rows = (
    await sql<{ table_name: string; column_name: string }>`
      SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`.execute(
      s.k,
    )
  ).rows;
  const out: Schema = {};
  for (const r of rows) {
    out[r.table_name] ??= [];
    out[r.table_name]!.push(r.column_name);
  }
  for (const t of Object.keys(out)) out[t]!.sort();
  return out;
}

/** Every migration runs on both databases and leaves the same tables with the same columns. */
describe('schema parity: SQLite and PostgreSQL', () => {
  let dir: string;
  let lite: SqliteStore;
  let pg: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-parity-'));
    lite = new SqliteStore(join(dir, 'sharpeyes.db'));
    pg = await openPostgresStore(await freshPostgresDatabase());
  }, 60_000);

  afterAll(async () => {
    await lite?.close();
    await pg?.close();
    await stopSharedPostgres();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every migration on PostgreSQL', async () => {
    const applied = (
      await sql<{ version: number }>`SELECT version FROM schema_migrations ORDER BY version`.execute(pg.k)
    ).rows.map((r) => Number(r.version));
    expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('has the same tables and columns on both', async () => {
    const a = await sqliteSchema(lite);
    const b = await postgresSchema(pg);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const table of Object.keys(a))
      expect({ table, columns: b[table] }).toEqual({ table, columns: a[table] });
  });
});
