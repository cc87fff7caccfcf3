import type { Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';

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

type Row = DB['webhook_outbox'];

const toDelivery = (r: Row): Delivery => ({
  id: r.id,
  hook: r.hook,
  event: r.event,
  incident: r.incident_id,
  site: r.site,
  jurisdiction: r.jurisdiction,
  body: r.body,
  state: r.state as DeliveryState,
  attempts: Number(r.attempts),
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

/** The `webhook_outbox` table (migrations 11 and 81), on the data layer. */
export class WebhookOutbox {
  constructor(private readonly k: Kysely<DB>) {}

  /** Due rows of one hook, oldest first (its worker sends them in this order). */
  async dueFor(hook: string, now: string, limit: number): Promise<Delivery[]> {
    const rows = await this.k
      .selectFrom('webhook_outbox')
      .selectAll()
      .where('hook', '=', hook)
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toDelivery);
  }

  /** When one hook's earliest pending delivery is due, if it has one. */
  async nextDueFor(hook: string): Promise<string | undefined> {
    const r = await this.k
      .selectFrom('webhook_outbox')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where('hook', '=', hook)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return r?.next ?? undefined;
  }

  /** Dead-letters the pending rows of hooks no longer configured; returns how many. */
  async failOrphans(hooks: readonly string[], at: string): Promise<number> {
    let q = this.k
      .updateTable('webhook_outbox')
      .set({ state: 'failed', finished_at: at, last_error: 'hook no longer configured' })
      .where('state', '=', 'pending');
    if (hooks.length > 0) q = q.where('hook', 'not in', hooks);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  /** One transaction for all hooks of a change: one fsync, and no hook gets a change the others miss. */
  async enqueue(rows: readonly NewDelivery[], at: string): Promise<void> {
    if (rows.length === 0) return;
    await this.k
      .insertInto('webhook_outbox')
      .values(
        rows.map((r) => ({
          id: r.id,
          hook: r.hook,
          event: r.event,
          incident_id: r.incident,
          site: r.site,
          jurisdiction: r.jurisdiction,
          body: r.body,
          state: 'pending',
          attempts: 0,
          created_at: at,
          next_attempt_at: at,
          last_attempt_at: null,
          last_error: null,
          finished_at: null,
        })),
      )
      .execute();
  }

  async delivered(id: string, at: string): Promise<void> {
    await this.finish(id, 'delivered', at, null);
  }

  /** Dead letter: kept (state failed) for admins to see; never attempted again. */
  async failed(id: string, at: string, error: string): Promise<void> {
    await this.finish(id, 'failed', at, error);
  }

  async retry(id: string, at: string, next: string, error: string): Promise<void> {
    await this.k
      .updateTable('webhook_outbox')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_attempt_at: at,
        next_attempt_at: next,
        last_error: error,
      }))
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  async get(id: string): Promise<Delivery | undefined> {
    const r = await this.k.selectFrom('webhook_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toDelivery(r) : undefined;
  }

  /** Newest first; `jurisdictions` limits to rows of incidents in those nodes (undefined: all). */
  async list(f: {
    state?: DeliveryState;
    jurisdictions?: readonly string[];
    limit: number;
  }): Promise<Delivery[]> {
    if (f.jurisdictions && f.jurisdictions.length === 0) return [];
    let q = this.k.selectFrom('webhook_outbox').selectAll();
    if (f.state) q = q.where('state', '=', f.state);
    if (f.jurisdictions) q = q.where('jurisdiction', 'in', f.jurisdictions);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
    return rows.map(toDelivery);
  }

  async counts(): Promise<Record<DeliveryState, number>> {
    const out: Record<DeliveryState, number> = { pending: 0, delivered: 0, failed: 0 };
    const rows = await this.k
      .selectFrom('webhook_outbox')
      .select((eb) => ['state', eb.fn.countAll().as('n')])
      .groupBy('state')
      .execute();
    for (const r of rows) out[r.state as DeliveryState] = Number(r.n);
    return out;
  }

  /** Drops delivered rows finished before `before` (dead letters stay until an admin has seen them). */
  async purgeDelivered(before: string): Promise<number> {
    const r = await this.k
      .deleteFrom('webhook_outbox')
      .where('state', '=', 'delivered')
      .where('finished_at', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  private async finish(id: string, state: DeliveryState, at: string, error: string | null): Promise<void> {
    await this.k
      .updateTable('webhook_outbox')
      .set((eb) => ({
        state,
        attempts: eb('attempts', '+', 1),
        last_attempt_at: at,
        finished_at: at,
        last_error: error,
      }))
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }
}
