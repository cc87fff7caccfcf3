import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../store/db-types.js';
import { type Columns, executeRows, prepare, rowsOf } from '../store/prepared.js';
import { relaxedTransaction } from '../store/relaxed.js';
import { takeTurn } from '../store/turns.js';

export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

/** An entry an outbox sink appends: `outboxSeq` is the outbox row it stands for (see `appendMany`). */
export interface OutboxAuditEntry extends AuditEntry {
  outboxSeq?: number;
}

export const GENESIS = '0'.repeat(64);

/** Rows read per query while verifying: the chain is walked without holding it all in memory. */
const VERIFY_PAGE = 2000;

type Executor = Kysely<DB> | Transaction<DB>;

// The statements of an append, prepared (src/store/prepared.ts): the outbox's audit sink appends
// every incident change, on SQLite on the alarm thread, where Kysely built and compiled each again.
const tail = prepare<Record<string, never>>()((k) =>
  k.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1),
);

const ROW_COLUMNS = [
  'seq',
  'at',
  'actor',
  'action',
  'target',
  'detail',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof DB['audit_log'])[];

const insertRows = prepare<Columns<DB['audit_log']>>()((k, p) =>
  k.insertInto('audit_log').values(rowsOf<DB['audit_log']>(p as never, ROW_COLUMNS)),
);

const cursorOf = prepare<{ sink: string }>()((k, p) =>
  k.selectFrom('outbox_cursors').select('seq').where('sink', '=', p('sink')),
);

const saveCursor = prepare<{ sink: string; seq: number; at: string }>()((k, p) =>
  k
    .insertInto('outbox_cursors')
    .values({ sink: p('sink'), seq: p('seq'), updated_at: p('at') })
    .onConflict((oc) =>
      oc.column('sink').doUpdateSet((eb) => ({
        seq: eb.ref('excluded.seq'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    ),
);

/** The hash of a row covers every field and the previous row's hash, so any edit breaks the chain. */
export function auditHash(r: {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: string | null;
  prevHash: string;
}): string {
  const canonical = JSON.stringify([r.seq, r.at, r.actor, r.action, r.target, r.detail, r.prevHash]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Append-only, hash-chained audit log on the data layer (SQLite or PostgreSQL). Each append is one
 * transaction that reads the tail and writes the next link; on PostgreSQL an advisory transaction
 * lock makes the appends of every node take turns, so two nodes never both link to the same tail
 * (SQLite has one writer anyway). Callers await `append` before serving the audited action, so a
 * footage view or an export is on disk before it is served.
 */
export class AuditLog {
  constructor(
    private readonly k: Kysely<DB>,
    private readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
    private readonly now: () => Date = () => new Date(),
  ) {}

  async append(entry: AuditEntry): Promise<AuditRecord> {
    return this.k.transaction().execute(async (tx) => (await this.link(tx, [entry]))[0]!);
  }

  /**
   * Appends several entries in one transaction (one fsync); with `cursor`, an outbox sink's position
   * is saved in the same transaction and entries whose `outboxSeq` the stored cursor already passed
   * are skipped: a batch handled twice (after a crash, or by two nodes at once) is appended once.
   * With `tx`, runs inside the caller's transaction instead of its own.
   */
  async appendMany(
    entries: readonly OutboxAuditEntry[],
    cursor?: { sink: string; seq: number },
    tx?: Transaction<DB>,
  ): Promise<void> {
    if (entries.length === 0 && !cursor) return;
    const run = async (t: Transaction<DB>) => {
      await this.lock(t);
      let fresh = entries;
      if (cursor) {
        const done = await this.cursorIn(t, cursor.sink);
        if (done !== undefined && done >= cursor.seq) return;
        if (done !== undefined)
          fresh = entries.filter((e) => e.outboxSeq === undefined || e.outboxSeq > done);
      }
      await this.link(t, fresh, true);
      if (cursor)
        await saveCursor.execute(t, { sink: cursor.sink, seq: cursor.seq, at: this.now().toISOString() });
    };
    if (tx) await run(tx);
    // The outbox sink's entries are written again from the outbox after a crash (with the cursor
    // they commit with): their commit need not wait for the disk.
    else if (cursor) await relaxedTransaction(this.k, run);
    else await this.k.transaction().execute(run);
  }

  /** A stored outbox cursor (see `appendMany`). */
  async cursor(sink: string): Promise<number | undefined> {
    return this.cursorIn(this.k, sink);
  }

  /** Walks the chain; returns the first broken link, or ok with the number of rows checked. */
  async verify(): Promise<{ ok: true; rows: number } | { ok: false; seq: number; reason: string }> {
    let prev = GENESIS;
    let expectedSeq = 1;
    let rows = 0;
    for (;;) {
      const page = await this.k
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>=', expectedSeq)
        .orderBy('seq')
        .limit(VERIFY_PAGE)
        .execute();
      if (page.length === 0) return { ok: true, rows };
      for (const r of page) {
        const seq = Number(r.seq);
        if (seq !== expectedSeq)
          return { ok: false, seq: expectedSeq, reason: `row ${expectedSeq} is missing` };
        if (r.prev_hash !== prev)
          return { ok: false, seq, reason: `row ${seq} does not point at the hash of row ${seq - 1}` };
        const h = auditHash({
          seq,
          at: r.at,
          actor: r.actor,
          action: r.action,
          target: r.target,
          detail: r.detail,
          prevHash: r.prev_hash,
        });
        if (h !== r.hash) return { ok: false, seq, reason: `row ${seq} was altered (hash mismatch)` };
        prev = r.hash;
        expectedSeq++;
        rows++;
      }
    }
  }

  async list(filter: { target?: string; action?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    let q = this.k.selectFrom('audit_log').selectAll();
    if (filter.target) q = q.where('target', '=', filter.target);
    if (filter.action) q = q.where('action', '=', filter.action);
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(filter.limit ?? 200)
      .execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      actor: r.actor,
      action: r.action,
      target: r.target,
      ...(r.detail ? { detail: JSON.parse(r.detail) as Record<string, unknown> } : {}),
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  /** One row: what `sharpeyes audit verify` prints about a broken link. */
  async row(seq: number): Promise<Omit<AuditRecord, 'prevHash' | 'hash'> | undefined> {
    const r = await this.k
      .selectFrom('audit_log')
      .select(['seq', 'at', 'actor', 'action', 'target'])
      .where('seq', '=', seq)
      .executeTakeFirst();
    return r ? { ...r, seq: Number(r.seq) } : undefined;
  }

  private async lock(tx: Transaction<DB>): Promise<void> {
    await takeTurn(tx, this.dialect, 'audit');
  }

  private async cursorIn(db: Executor, sink: string): Promise<number | undefined> {
    const r = await cursorOf.first(db, { sink });
    return r ? Number(r.seq) : undefined;
  }

  /** Links `entries` after the tail, inside `tx` (which holds the lock when `locked`). */
  private async link(
    tx: Transaction<DB>,
    entries: readonly AuditEntry[],
    locked = false,
  ): Promise<AuditRecord[]> {
    if (entries.length === 0) return [];
    if (!locked) await this.lock(tx);
    const last = await tail.first(tx, {});
    let seq = last ? Number(last.seq) : 0;
    let prevHash = last?.hash ?? GENESIS;
    const out: AuditRecord[] = [];
    const rows: DB['audit_log'][] = [];
    for (const e of entries) {
      seq++;
      const at = this.now().toISOString();
      const detail = e.detail ? JSON.stringify(e.detail) : null;
      const hash = auditHash({
        seq,
        at,
        actor: e.actor,
        action: e.action,
        target: e.target,
        detail,
        prevHash,
      });
      out.push({
        actor: e.actor,
        action: e.action,
        target: e.target,
        ...(e.detail ? { detail: e.detail } : {}),
        seq,
        at,
        prevHash,
        hash,
      });
      rows.push({
        seq,
        at,
        actor: e.actor,
        action: e.action,
        target: e.target,
        detail,
        prev_hash: prevHash,
        hash,
      });
      prevHash = hash;
    }
    await executeRows(insertRows, tx, rows, ROW_COLUMNS);
    return out;
  }
}
