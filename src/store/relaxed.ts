import { type Kysely, PostgresAdapter, sql, type Transaction } from 'kysely';
import type { DB } from './db-types.js';

/** Each SQLite connection's own `synchronous` setting, read once (the service never changes it). */
const settled = new WeakMap<Kysely<DB>, number>();

/**
 * A transaction whose commit does not wait for the disk: for writes that are derived from rows
 * already durable and are written again after a crash — an outbox sink's output together with its
 * cursor (audit entries, report facts, cursors). A decision never uses it.
 *
 * Why: SQLite runs on the alarm process's thread, so every `synchronous=FULL` commit holds the event
 * loop for one fsync. A panic used to cost about four (its decision, then the audit, report and
 * cursor commits of the sinks behind it), and each delayed the next panic's PUBACK. Here:
 * - SQLite (WAL): `synchronous=NORMAL` for this commit only. The database stays consistent; a power
 *   cut (not a process crash) may roll back the last such commits, and the next FULL commit's fsync
 *   makes them durable anyway. The connection is held for the whole callback, so no decision can
 *   commit in between with the relaxed setting.
 * - PostgreSQL: `SET LOCAL synchronous_commit = off`, the same trade, for this transaction only.
 */
export async function relaxedTransaction<T>(
  k: Kysely<DB>,
  fn: (tx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  if (k.getExecutor().adapter instanceof PostgresAdapter)
    return k.transaction().execute(async (tx) => {
      await sql`SET LOCAL synchronous_commit = off`.execute(tx);
      return fn(tx);
    });
  return k.connection().execute(async (db) => {
    let was = settled.get(k);
    if (was === undefined) {
      const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db);
      was = Number(rows[0]?.synchronous ?? 2);
      settled.set(k, was);
    }
    await sql`PRAGMA synchronous = NORMAL`.execute(db);
    try {
      return await db.transaction().execute(fn);
    } finally {
      await sql.raw(`PRAGMA synchronous = ${Number(was)}`).execute(db);
    }
  });
}
