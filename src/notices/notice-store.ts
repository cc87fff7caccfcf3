import { type Kysely, type Selectable, sql } from 'kysely';
import type { DB } from '../store/db-types.js';
import '../reports/report-tables.js';

export interface NoticeTarget {
  node: string;
  receivedMs: number | null;
  receivedBy: string | null;
  remindDueMs: number;
  listDueMs: number;
  remindedMs: number | null;
  listedMs: number | null;
}

export interface Notice {
  id: string;
  sentBy: string;
  senderScope: string;
  sentMs: number;
  text: string;
  receiptMinutes: number;
  listMinutes: number;
  plate: string | null;
  plateUntilMs: number | null;
  photo: string | null;
  targets: NoticeTarget[];
}

type NoticeRow = Selectable<DB['notices']>;

const num = (v: number | null) => (v === null ? null : Number(v));

/**
 * Notices and their receipts (migration 092), on the main connection: small indexed reads and
 * writes. `next_due_ms` is the next reminder or listing a target still waits for, so the maintainer
 * reads only what is due and a restart finds every timer in the table.
 */
export class NoticeStore {
  constructor(private readonly k: Kysely<DB>) {}

  async create(n: Omit<Notice, 'targets'>, nodes: readonly string[]): Promise<void> {
    const remind = n.sentMs + n.receiptMinutes * 60_000;
    const list = n.sentMs + n.listMinutes * 60_000;
    await this.k.transaction().execute(async (tx) => {
      await tx
        .insertInto('notices')
        .values({
          id: n.id,
          sent_by: n.sentBy,
          sender_scope: n.senderScope,
          sent_at: new Date(n.sentMs).toISOString(),
          sent_ms: n.sentMs,
          text: n.text,
          receipt_minutes: n.receiptMinutes,
          list_minutes: n.listMinutes,
          plate: n.plate,
          plate_until_ms: n.plateUntilMs,
          photo: n.photo,
        })
        .execute();
      await tx
        .insertInto('notice_targets')
        .values(
          nodes.map((node) => ({
            notice_id: n.id,
            node,
            received_at: null,
            received_ms: null,
            received_by: null,
            remind_due_ms: remind,
            list_due_ms: list,
            reminded_ms: null,
            listed_ms: null,
            next_due_ms: remind,
          })),
        )
        .execute();
    });
  }

  async get(id: string): Promise<Notice | undefined> {
    const n = await this.k.selectFrom('notices').selectAll().where('id', '=', id).executeTakeFirst();
    if (!n) return undefined;
    return (await this.withTargets([n]))[0];
  }

  /**
   * The latest notices sent from any of `senders` (a viewer's subtree), newest first, with their
   * targets: what a sender's node and those above it read as the notices' receipts. By
   * `notices_sender` (sender_scope, sent_ms, id; migration 117), newest first of each sender.
   */
  async sentFrom(senders: readonly string[], limit: number): Promise<Notice[]> {
    if (senders.length === 0) return [];
    // The list leaves the photos out (up to 200 KB each): they are not read at all.
    const rows = await this.k
      .selectFrom('notices')
      .select([
        'id',
        'sent_by',
        'sender_scope',
        'sent_at',
        'sent_ms',
        'text',
        'receipt_minutes',
        'list_minutes',
        'plate',
        'plate_until_ms',
      ])
      .select(sql<string | null>`NULL`.as('photo'))
      .where('sender_scope', 'in', senders)
      .orderBy('sent_ms', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return this.withTargets(rows);
  }

  private async withTargets(rows: readonly NoticeRow[]): Promise<Notice[]> {
    if (rows.length === 0) return [];
    const all = await this.k
      .selectFrom('notice_targets')
      .selectAll()
      .where(
        'notice_id',
        'in',
        rows.map((n) => n.id),
      )
      .orderBy('notice_id')
      .orderBy('node')
      .execute();
    return rows.map((n) => ({
      id: n.id,
      sentBy: n.sent_by,
      senderScope: n.sender_scope,
      sentMs: Number(n.sent_ms),
      text: n.text,
      receiptMinutes: Number(n.receipt_minutes),
      listMinutes: Number(n.list_minutes),
      plate: n.plate,
      plateUntilMs: num(n.plate_until_ms),
      photo: n.photo,
      targets: all
        .filter((t) => t.notice_id === n.id)
        .map((t) => ({
          node: t.node,
          receivedMs: num(t.received_ms),
          receivedBy: t.received_by,
          remindDueMs: Number(t.remind_due_ms),
          listDueMs: Number(t.list_due_ms),
          remindedMs: num(t.reminded_ms),
          listedMs: num(t.listed_ms),
        })),
    }));
  }

  /** Records the node's receipt; the first one counts (a second desk confirming changes nothing). */
  async receipt(id: string, node: string, by: string, atMs: number): Promise<boolean> {
    const res = await this.k
      .updateTable('notice_targets')
      .set({
        received_ms: atMs,
        received_at: new Date(atMs).toISOString(),
        received_by: by,
        next_due_ms: null,
      })
      .where('notice_id', '=', id)
      .where('node', '=', node)
      .where('received_ms', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Targets with a reminder or a listing due at `nowMs`, oldest first. */
  async due(
    nowMs: number,
    limit = 500,
  ): Promise<
    { noticeId: string; node: string; remindDueMs: number; listDueMs: number; remindedMs: number | null }[]
  > {
    const rows = await this.k
      .selectFrom('notice_targets')
      .select(['notice_id', 'node', 'remind_due_ms', 'list_due_ms', 'reminded_ms'])
      .where('next_due_ms', '<=', nowMs)
      .orderBy('next_due_ms')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      noticeId: r.notice_id,
      node: r.node,
      remindDueMs: Number(r.remind_due_ms),
      listDueMs: Number(r.list_due_ms),
      remindedMs: num(r.reminded_ms),
    }));
  }

  /** Marks the reminder sent; the next thing due is the listing (unless a receipt came meanwhile). */
  async markReminded(id: string, node: string, atMs: number, listDueMs: number): Promise<boolean> {
    const res = await this.k
      .updateTable('notice_targets')
      .set({ reminded_ms: atMs, next_due_ms: listDueMs })
      .where('notice_id', '=', id)
      .where('node', '=', node)
      .where('received_ms', 'is', null)
      .where('reminded_ms', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async markListed(id: string, node: string, atMs: number): Promise<boolean> {
    const res = await this.k
      .updateTable('notice_targets')
      .set({ listed_ms: atMs, next_due_ms: null })
      .where('notice_id', '=', id)
      .where('node', '=', node)
      .where('received_ms', 'is', null)
      .where('listed_ms', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Every target listed as silent and still without a receipt, with its notice: the city-wide list. */
  async silent(limit = 1000) {
    const rows = await this.k
      .selectFrom('notice_targets as t')
      .innerJoin('notices as n', 'n.id', 't.notice_id')
      .select(['n.id', 'n.text', 'n.sent_ms', 'n.sender_scope', 't.node', 't.listed_ms', 't.reminded_ms'])
      .where('t.listed_ms', 'is not', null)
      .where('t.received_ms', 'is', null)
      .orderBy('n.sent_ms')
      .orderBy('t.node')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      notice: r.id,
      text: r.text,
      sentMs: Number(r.sent_ms),
      senderScope: r.sender_scope,
      node: r.node,
      listedMs: Number(r.listed_ms),
      remindedMs: num(r.reminded_ms),
    }));
  }

  /** Notices addressed to `node` without its receipt (what a desk shows after a reconnect). */
  async pendingFor(node: string, limit = 100): Promise<string[]> {
    const rows = await this.k
      .selectFrom('notice_targets')
      .select('notice_id')
      .where('node', '=', node)
      .where('received_ms', 'is', null)
      .orderBy('remind_due_ms')
      .limit(limit)
      .execute();
    return rows.map((r) => r.notice_id);
  }

  /** Plates of notices still valid at `nowMs`. */
  async activePlates(nowMs: number) {
    const rows = await this.k
      .selectFrom('notices')
      .select(['id', 'plate', 'plate_until_ms', 'text'])
      .where('plate_until_ms', '>', nowMs)
      .where('plate', 'is not', null)
      .execute();
    return rows.map((r) => ({
      notice: r.id,
      plate: r.plate!,
      untilMs: Number(r.plate_until_ms),
      text: r.text,
    }));
  }
}
