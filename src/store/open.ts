import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Config } from '../config/schema.js';
import { SharpeyesError } from '../errors.js';
import type { DB } from './db-types.js';
import { openPostgresStore } from './postgres.js';
import { SqliteStore, Store } from './sqlite.js';

/** What opening a store needs of `storage`. */
type Where = Pick<Config['storage'], 'dataDir' | 'database'>;

/** The SQLite file of a data dir (the embedded default). */
export const sqliteFile = (dataDir: string): string => join(dataDir, 'sharpeyes.db');

/**
 * The store `storage.database` names: the SQLite file of the data dir, or PostgreSQL. What the
 * service and every command-line verb open, so a verb acts on the same data as the running nodes.
 */
export async function openStore(storage: Where, opts: { dataDir?: string | undefined } = {}): Promise<Store> {
  const db = storage.database;
  if (db.kind === 'postgres') return openPostgresStore(db.url, { poolSize: db.poolSize });
  return new SqliteStore(sqliteFile(opts.dataDir ?? storage.dataDir));
}

/**
 * Read-only: `audit verify` must not migrate or write. SQLite is opened read-only (the file must
 * exist); PostgreSQL through the normal store (its migrations are idempotent and locked).
 */
export async function openStoreReadonly(
  storage: Where,
  opts: { dataDir?: string | undefined } = {},
): Promise<Store> {
  const db = storage.database;
  if (db.kind === 'postgres') return openPostgresStore(db.url, { poolSize: 2 });
  const file = sqliteFile(opts.dataDir ?? storage.dataDir);
  if (!existsSync(file)) throw new SharpeyesError('store', `no database at ${file}`);
  const sqlite = new Database(file, { readonly: true, fileMustExist: true });
  const k = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
  return new Store(k, 'sqlite', sqlite, async () => {
    await k.destroy();
  });
}
