import type { Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';

declare module '../store/db-types.js' {
  interface DB {
    leases: LeasesTable;
  }
}

/** Migration 90. */
export interface LeasesTable {
  name: string;
  holder: string;
  /** Epoch milliseconds. */
  expires_at: number;
  acquired_at: number;
}

export interface Lease {
  name: string;
  holder: string;
  expiresAt: number;
}

/**
 * The `leases` table. Every change is one statement whose WHERE is the compare of a compare-and-set:
 * a lease moves to a node only if that node already holds it or it has expired, so two nodes racing
 * for it cannot both win, on SQLite or PostgreSQL.
 */
export class LeaseStore {
  constructor(private readonly k: Kysely<DB>) {}

  /**
   * Takes or renews `name` for `holder` until `now + ttlMs`; true when `holder` has it afterwards.
   * Free: the insert wins. Held by `holder` or expired: the UPDATE wins. Held by another: nothing.
   */
  async acquire(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const expires = now + ttlMs;
    const inserted = await this.k
      .insertInto('leases')
      .values({ name, holder, expires_at: expires, acquired_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return true;
    const updated = await this.k
      .updateTable('leases')
      .set((eb) => ({
        expires_at: expires,
        // A renewal keeps when it was first taken; a takeover starts a new tenure.
        acquired_at: eb.case().when('holder', '=', holder).then(eb.ref('acquired_at')).else(now).end(),
        holder,
      }))
      .where('name', '=', name)
      .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<=', now)]))
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  /** Renews every lease of `names` `holder` still has; returns the names renewed (one statement). */
  async renewAll(names: readonly string[], holder: string, now: number, ttlMs: number): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const rows = await this.k
      .updateTable('leases')
      .set({ expires_at: now + ttlMs })
      .where('holder', '=', holder)
      .where('name', 'in', names)
      .where('expires_at', '>', now)
      .returning('name')
      .execute();
    return new Set(rows.map((r) => r.name));
  }

  /** Gives `name` up at once (a clean stop, a rebalance), if `holder` has it. */
  async release(name: string, holder: string): Promise<void> {
    await this.k
      .updateTable('leases')
      .set({ expires_at: 0 })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .execute();
  }

  async releaseAll(holder: string): Promise<void> {
    await this.k.updateTable('leases').set({ expires_at: 0 }).where('holder', '=', holder).execute();
  }

  /** Unexpired leases whose name starts with `prefix`. */
  async live(prefix: string, now: number): Promise<Lease[]> {
    const rows = await this.k
      .selectFrom('leases')
      .select(['name', 'holder', 'expires_at'])
      .where('name', 'like', `${prefix}%`)
      .where('expires_at', '>', now)
      .execute();
    return rows.map((r) => ({ name: r.name, holder: r.holder, expiresAt: Number(r.expires_at) }));
  }

  async all(): Promise<Lease[]> {
    const rows = await this.k
      .selectFrom('leases')
      .select(['name', 'holder', 'expires_at'])
      .orderBy('name')
      .execute();
    return rows.map((r) => ({ name: r.name, holder: r.holder, expiresAt: Number(r.expires_at) }));
  }
}
