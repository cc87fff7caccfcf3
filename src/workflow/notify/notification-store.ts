import { prepare } from '../../store/prepared.js';
import type { Db } from '../db.js';

/** Read with every push of an incident (src/store/prepared.ts). */
const OF_INCIDENTS = prepare<{ ids: readonly string[] }>()((k, p) =>
  k.selectFrom('notifications').selectAll().where('incident_id', 'in', p('ids')).orderBy('created_at'),
);

export interface NewNotification {
  id: string;
  incidentId: string | null;
  site: string;
  jurisdiction: string;
  reason: string;
  channel: string;
  kind: string;
  recipient: string;
  address: string;
  subject: string;
  body: string;
}

export interface Notification extends NewNotification {
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  createdAt: string;
  nextAttemptAt: string;
  lastError?: string;
  finishedAt?: string;
  receipt?: string;
}

type Row = {
  id: string;
  incident_id: string | null;
  site: string;
  jurisdiction: string;
  reason: string;
  channel: string;
  kind: string;
  recipient: string;
  address: string;
  subject: string;
  body: string;
  state: string;
  attempts: number;
  created_at: string;
  next_attempt_at: string;
  last_attempt_at: string | null;
  last_error: string | null;
  finished_at: string | null;
  receipt: string | null;
};

const toNotification = (r: Row): Notification => ({
  id: r.id,
  incidentId: r.incident_id,
  site: r.site,
  jurisdiction: r.jurisdiction,
  reason: r.reason,
  channel: r.channel,
  kind: r.kind,
  recipient: r.recipient,
  address: r.address,
  subject: r.subject,
  body: r.body,
  state: r.state as Notification['state'],
  attempts: r.attempts,
  createdAt: r.created_at,
  nextAttemptAt: r.next_attempt_at,
  ...(r.last_error ? { lastError: r.last_error } : {}),
  ...(r.finished_at ? { finishedAt: r.finished_at } : {}),
  ...(r.receipt ? { receipt: r.receipt } : {}),
});

/** Messages to keyholders and owners (`notifications`), sent and retried from here. */
export class NotificationStore {
  /** Ids are fixed by what caused them: enqueuing again (a redelivered outbox batch) adds nothing. */
  async enqueue(db: Db, rows: readonly NewNotification[], at: string): Promise<void> {
    for (const n of rows)
      await db
        .insertInto('notifications')
        .values({
          id: n.id,
          incident_id: n.incidentId,
          site: n.site,
          jurisdiction: n.jurisdiction,
          reason: n.reason,
          channel: n.channel,
          kind: n.kind,
          recipient: n.recipient,
          address: n.address,
          subject: n.subject,
          body: n.body,
          state: 'pending',
          attempts: 0,
          created_at: at,
          next_attempt_at: at,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
  }

  async due(db: Db, now: string, limit: number): Promise<Notification[]> {
    const rows = await db
      .selectFrom('notifications')
      .selectAll()
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    return rows.map(toNotification);
  }

  /**
   * Takes a due notification for one attempt: its next attempt moves to `until` (past the attempt's
   * timeout), compared and set on the time it was read due. False when another node's worker took it
   * first (every node's worker finds the same due rows); a node that dies mid-attempt leaves it due
   * again at `until`, so it is retried, not lost.
   */
  async claim(db: Db, n: Pick<Notification, 'id' | 'nextAttemptAt'>, until: string): Promise<boolean> {
    const r = await db
      .updateTable('notifications')
      .set({ next_attempt_at: until })
      .where('id', '=', n.id)
      .where('state', '=', 'pending')
      .where('next_attempt_at', '=', n.nextAttemptAt)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async sent(db: Db, id: string, at: string, receipt: string): Promise<void> {
    await db
      .updateTable('notifications')
      .set((eb) => ({
        state: 'sent',
        attempts: eb('attempts', '+', 1),
        last_attempt_at: at,
        finished_at: at,
        receipt,
      }))
      .where('id', '=', id)
      .execute();
  }

  async failedAttempt(
    db: Db,
    id: string,
    at: string,
    error: string,
    next: string | undefined,
  ): Promise<void> {
    await db
      .updateTable('notifications')
      .set((eb) => ({
        state: next ? 'pending' : 'failed',
        attempts: eb('attempts', '+', 1),
        last_attempt_at: at,
        last_error: error.slice(0, 500),
        next_attempt_at: next ?? at,
        ...(next ? {} : { finished_at: at }),
      }))
      .where('id', '=', id)
      .execute();
  }

  async ofIncidents(db: Db, ids: readonly string[]): Promise<Map<string, Notification[]>> {
    const out = new Map<string, Notification[]>();
    if (ids.length === 0) return out;
    const rows = await OF_INCIDENTS.all(db, { ids });
    for (const r of rows) {
      const list = out.get(r.incident_id!) ?? [];
      list.push(toNotification(r));
      out.set(r.incident_id!, list);
    }
    return out;
  }

  async ofSite(db: Db, site: string, limit: number): Promise<Notification[]> {
    const rows = await db
      .selectFrom('notifications')
      .selectAll()
      .where('site', '=', site)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toNotification);
  }
}
