import type { Db } from '../store/sqlite.js';

export type DeliveryState = 'pending' | 'delivered' | 'failed';
export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'delivered', 'failed'];

/** One row of the outbox: a change for one hook, with the exact body every attempt signs. */
export interface Delivery {
  id: string;
  hook: string;
  event: string;
  incident: string | null;
  site: string | null;
  jurisdiction: string | null;
  body: string;
  state: DeliveryState;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  lastError: string | null;
  finishedAt: string | null;
}

export type NewDelivery = Pick<
  Delivery,
  'id' | 'hook' | 'event' | 'incident' | 'site' | 'jurisdiction' | 'body'
>;

interface Row {
  id: string;
  hook: string;
  event: string;
  incident_id: string | null;
  site: string | null;
  jurisdiction: string | null;
  body: string;
  state: DeliveryState;
  attempts: number;
  created_at: string;
  next_attempt_at: string;
  last_attempt_at: string | null;
  last_error: string | null;
  finished_at: string | null;
}

const toDelivery = (r: Row): Delivery => ({
  id: r.id,
  hook: r.hook,
  event: r.event,
  incident: r.incident_id,
  site: r.site,
  jurisdiction: r.jurisdiction,
  body: r.body,
  state: r.state,
  attempts: r.attempts,
  createdAt: r.created_at,
  nextAttemptAt: r.next_attempt_at,
  lastAttemptAt: r.last_attempt_at,
  lastError: r.last_error,
  finishedAt: r.finished_at,
});

/**
 * Capped exponential backoff with "equal jitter": half the capped step is fixed, half is random, so
 * deliveries failed together (a receiver outage) do not all come back in the same millisecond.
 */
export function backoffMs(attempt: number, initialMs: number, capMs: number, random: () => number): number {
  const step = Math.min(capMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/** The `webhook_outbox` table (migration 11). Synchronous: better-sqlite3, one statement each. */
export class WebhookOutbox {
  private readonly insertStmt;
  private readonly insertAll;
  private readonly dueStmt;
  private readonly nextStmt;
  private readonly doneStmt;
  private readonly retryStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO webhook_outbox (id, hook, event, incident_id, site, jurisdiction, body, created_at, next_attempt_at)
       VALUES (@id, @hook, @event, @incident, @site, @jurisdiction, @body, @at, @at)`,
    );
    // One transaction for all hooks of a change: one fsync, and no hook gets a change the others miss.
    this.insertAll = db.transaction((rows: readonly NewDelivery[], at: string) => {
      for (const r of rows) this.insertStmt.run({ ...r, at });
    });
    this.dueStmt = db.prepare(
      `SELECT * FROM webhook_outbox WHERE state = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at, rowid LIMIT ?`,
    );
    this.nextStmt = db.prepare(
      "SELECT MIN(next_attempt_at) AS next FROM webhook_outbox WHERE state = 'pending'",
    );
    this.doneStmt = db.prepare(
      `UPDATE webhook_outbox SET state = ?, attempts = attempts + 1, last_attempt_at = ?, finished_at = ?,
         last_error = ? WHERE id = ? AND state = 'pending'`,
    );
    this.retryStmt = db.prepare(
      `UPDATE webhook_outbox SET attempts = attempts + 1, last_attempt_at = ?, next_attempt_at = ?, last_error = ?
       WHERE id = ? AND state = 'pending'`,
    );
  }

  enqueue(rows: readonly NewDelivery[], at: string): void {
    if (rows.length > 0) this.insertAll(rows, at);
  }

  due(now: string, limit: number): Delivery[] {
    return (this.dueStmt.all(now, limit) as Row[]).map(toDelivery);
  }

  /** When the earliest pending delivery is due, if any is pending. */
  nextDue(): string | undefined {
    return (this.nextStmt.get() as { next: string | null }).next ?? undefined;
  }

  delivered(id: string, at: string): void {
    this.doneStmt.run('delivered', at, at, null, id);
  }

  /** Dead letter: kept (state failed) for admins to see; never attempted again. */
  failed(id: string, at: string, error: string): void {
    this.doneStmt.run('failed', at, at, error, id);
  }

  retry(id: string, at: string, next: string, error: string): void {
    this.retryStmt.run(at, next, error, id);
  }

  get(id: string): Delivery | undefined {
    const r = this.db.prepare('SELECT * FROM webhook_outbox WHERE id = ?').get(id) as Row | undefined;
    return r ? toDelivery(r) : undefined;
  }

  /** Newest first; `jurisdictions` limits to rows of incidents in those nodes (undefined: all). */
  list(f: { state?: DeliveryState; jurisdictions?: readonly string[]; limit: number }): Delivery[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.state) {
      where.push('state = ?');
      args.push(f.state);
    }
    if (f.jurisdictions) {
      where.push('jurisdiction IN (SELECT value FROM json_each(?))');
      args.push(JSON.stringify(f.jurisdictions));
    }
    const sql = `SELECT * FROM webhook_outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit) as Row[]).map(toDelivery);
  }

  counts(): Record<DeliveryState, number> {
    const out: Record<DeliveryState, number> = { pending: 0, delivered: 0, failed: 0 };
    const rows = this.db.prepare('SELECT state, COUNT(*) AS n FROM webhook_outbox GROUP BY state').all() as {
      state: DeliveryState;
      n: number;
    }[];
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  /** Drops delivered rows finished before `before` (dead letters stay until an admin has seen them). */
  purgeDelivered(before: string): number {
    return this.db
      .prepare("DELETE FROM webhook_outbox WHERE state = 'delivered' AND finished_at < ?")
      .run(before).changes;
  }
}
