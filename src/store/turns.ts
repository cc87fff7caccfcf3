import { type Kysely, sql, type Transaction } from 'kysely';
import type { DB } from './db-types.js';

/**
 * The PostgreSQL advisory locks by which nodes sharing one database take turns, named once so that no
 * two uses share a key by accident. Each is transaction-scoped: held from where it is taken to the
 * commit or rollback. SQLite needs none (one writer at a time already).
 */
export const TURNS = {
  /** Several nodes starting at once: one migrates, the others wait for it. */
  migrations: 725001,
  /** Outbox writers, so sequence numbers become visible in order (a sink's cursor never passes one). */
  outbox: 725002,
  /** Audit appends: the chain has one tail. */
  audit: 725003,
  /** One site's decisions (with the site's name as the second key). */
  site: 725100,
  /** The look for a storm in force and the start. */
  storms: 725300,
  /** One unit's dispatch (with the unit's id as the second key): one open incident at a time. */
  unit: 725400,
  /**
   * One user's console preferences (with the user's id as the second key): a save's read and merge
   * see the save before it, so pages saving different keys at once keep them all.
   */
  prefs: 725500,
  /** The reports' copy of the city's tree and sites, rewritten as nodes start with a changed city. */
  reportConfig: 725600,
  /**
   * One camera's recorded runs (with the camera's name as the second key): read, then rewritten as
   * segments are indexed and removed.
   */
  runs: 725040,
  /**
   * Evidence locks, playback holds and retention's claim of the footage it deletes: a lock or hold
   * placed as retention picks its segments either comes first and keeps them, or comes second and
   * finds them gone.
   */
  footage: 725700,
} as const;

/**
 * Waits for `turn` inside `tx` on PostgreSQL; nothing on SQLite. With `of`, the lock is that one
 * thing's (two int keys: the turn and a hash of `of`).
 */
export async function takeTurn(
  // A caller's transaction (a `Kysely` only where the type cannot say so, as the outbox's `append`).
  tx: Transaction<DB> | Kysely<DB>,
  dialect: 'sqlite' | 'postgres',
  turn: keyof typeof TURNS,
  of?: string,
): Promise<void> {
  if (dialect !== 'postgres') return;
  if (of === undefined) await sql`SELECT pg_advisory_xact_lock(${TURNS[turn]})`.execute(tx);
  else await sql`SELECT pg_advisory_xact_lock(${TURNS[turn]}, hashtext(${of}))`.execute(tx);
}
