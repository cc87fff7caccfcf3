import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SharpeyesError } from '../errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import type { Store } from './repositories.js';
import { SqliteCoreRepository } from './sqlite-core.js';
import { SqliteEventRepository } from './sqlite-events.js';
import { SqliteIncidentRepository } from './sqlite-incidents.js';
import { SqliteSessionRepository, SqliteUserRepository } from './sqlite-users.js';

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
 * The same connection, with `prepare` memoised: repositories write their SQL inline, and compiling it
 * again for every event showed up in profiles of the ingest path. Bounded, because list filters build
 * SQL with a variable number of placeholders. Cached statements must not be used with `iterate()`
 * while the same SQL runs again inside the loop.
 */
export function withStatementCache(db: Db, max = 256): Db {
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

export class SqliteStore implements Store {
  readonly db: Db;
  readonly events: SqliteEventRepository;
  readonly incidents: SqliteIncidentRepository;
  readonly users: SqliteUserRepository;
  readonly sessions: SqliteSessionRepository;
  readonly core: SqliteCoreRepository;

  constructor(file: string) {
    this.db = openDatabase(file);
    migrate(this.db);
    const cached = withStatementCache(this.db);
    this.events = new SqliteEventRepository(cached);
    this.incidents = new SqliteIncidentRepository(cached);
    this.users = new SqliteUserRepository(cached);
    this.sessions = new SqliteSessionRepository(cached);
    this.core = new SqliteCoreRepository(cached);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
