import Database from 'better-sqlite3';
import { vi } from 'vitest';

/**
 * Records the SQL of every statement better-sqlite3 prepares from now on (the test's `afterEach`
 * restores it with `vi.restoreAllMocks()`): what a plan test asks SQLite to explain.
 */
export function recordPreparedSql(): string[] {
  const prepared: string[] = [];
  const prepare = Database.prototype.prepare;
  vi.spyOn(Database.prototype, 'prepare').mockImplementation(function (
    this: Database.Database,
    source: string,
  ) {
    prepared.push(source);
    return prepare.call(this, source);
  });
  return prepared;
}

/** SQLite's plan for `sql`, its steps joined with ` | ` (every parameter bound to 'x'). */
export function planOf(db: Database.Database, sql: string): string {
  const params = (sql.match(/\?/g) ?? []).map(() => 'x');
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
    .map((r) => r.detail)
    .join(' | ');
}
