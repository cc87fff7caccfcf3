import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SharpeyesError } from '../errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import type { Store } from './repositories.js';
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

  constructor(file: string) {
    this.db = openDatabase(file);
    migrate(this.db);
    this.events = new SqliteEventRepository(this.db);
    this.incidents = new SqliteIncidentRepository(this.db);
    this.users = new SqliteUserRepository(this.db);
    this.sessions = new SqliteSessionRepository(this.db);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
