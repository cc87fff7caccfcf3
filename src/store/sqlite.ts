import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { SharpeyesError } from '../errors.js';
import type { DB } from './db-types.js';
import { KyselyCoreRepository } from './kysely-core.js';
import { KyselyEventRepository } from './kysely-events.js';
import { KyselyIncidentRepository } from './kysely-incidents.js';
import { KyselySessionRepository, KyselyUserRepository } from './kysely-users.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import { runDirectlyInTransactions } from './prepared.js';
import type { Store as StoreRepositories } from './repositories.js';

export type Db = Database.Database;

/**
 * Opens the SQLite file with WAL and full sync: an event is on disk when its transaction returns,
 * which is what "commit before acknowledge" promises a panel.
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * The same connection, with `prepare` memoised: compiling the same SQL again for every event showed
 * up in profiles of the ingest path. Bounded, because list filters build SQL with a variable number of
 * placeholders. Cached statements must not be used with `iterate()` while the same SQL runs again
 * inside the loop.
 */
export function withStatementCache(db: Db, max = 512): Db {
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return prepare;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  let count = 0;
  let last = 0;
  for (const m of migrations) {
    if (m.version <= last)
      throw new SharpeyesError('store', `migration ${m.name} is out of order (version ${m.version})`);
    last = m.version;
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      if (m.fill) {
        const update = db.prepare(m.fill.update);
        const selected = db.prepare(m.fill.select).all() as Record<string, unknown>[];
        for (const params of m.fill.rows(selected)) update.run(...params);
      }
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    })();
    count++;
  }
  return count;
}

/**
 * The one data layer (issues 13 and 16): repositories written once with Kysely, run on SQLite (the
 * embedded default) or PostgreSQL (a city). `k` is the query builder every part uses.
 */
export class Store implements StoreRepositories {
  readonly events: KyselyEventRepository;
  readonly incidents: KyselyIncidentRepository;
  readonly users: KyselyUserRepository;
  readonly sessions: KyselySessionRepository;
  readonly core: KyselyCoreRepository;

  constructor(
    readonly k: Kysely<DB>,
    readonly dialect: 'sqlite' | 'postgres',
    /** The SQLite connection under `k` (undefined on PostgreSQL). */
    protected readonly sqlite: Db | undefined,
    private readonly onClose: () => Promise<void>,
  ) {
    this.events = new KyselyEventRepository(k);
    this.incidents = new KyselyIncidentRepository(k, dialect);
    this.users = new KyselyUserRepository(k);
    this.sessions = new KyselySessionRepository(k);
    this.core = new KyselyCoreRepository(k);
  }

  /**
   * The raw SQLite handle, for the few parts not yet on the data layer. On PostgreSQL they say so
   * instead of failing obscurely.
   */
  get db(): Db {
    if (!this.sqlite)
      throw new SharpeyesError(
        'store',
        'this part still runs SQL on SQLite only; use storage.database.kind: sqlite',
      );
    return this.sqlite;
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}

/**
 * The embedded default: a SQLite file (WAL, synchronous=FULL), migrated on open. `migrations`: every
 * one (the service); a bench may stop at an older schema to measure a migration against it.
 */
export class SqliteStore extends Store {
  constructor(file: string, migrations: readonly Migration[] = MIGRATIONS) {
    const db = openDatabase(file);
    migrate(db, migrations);
    const cached = withStatementCache(db);
    // Kysely prepares every query through the memoised `prepare`; it closes nothing (close() does).
    const k = new Kysely<DB>({
      dialect: new SqliteDialect({ database: { prepare: cached.prepare, close: () => {} } as never }),
    });
    // What Kysely's SQLite driver does with a statement, without its promises (src/store/prepared.ts).
    runDirectlyInTransactions(k, (sql, parameters) => {
      const stmt = cached.prepare(sql);
      if (stmt.reader) return { rows: stmt.all(parameters) };
      const { changes, lastInsertRowid } = stmt.run(parameters);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    });
    super(k, 'sqlite', db, async () => {
      if (db.open) db.close();
    });
  }

  override get db(): Db {
    return this.sqlite!;
  }
}
