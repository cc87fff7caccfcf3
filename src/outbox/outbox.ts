import { EventEmitter } from 'node:events';
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../store/db-types.js';
import { type Prepared, prepare } from '../store/prepared.js';
import { relaxedTransaction } from '../store/relaxed.js';
import { takeTurn } from '../store/turns.js';

/** What a decision tells the sinks. `topic` names the kind; `payload` is JSON. */
export interface NewOutboxRow {
  topic: OutboxTopic;
  incidentId?: string | undefined;
  site?: string | undefined;
  jurisdiction?: string | undefined;
  payload: Record<string, unknown>;
}

export type OutboxTopic =
  /** An incident was opened (payload: `{}`). */
  | 'incident:new'
  /** An incident changed (payload: `{change}`, an IncidentChange). */
  | 'incident:update'
  /** An unacknowledged incident was escalated to a node's desks (payload: `{escalation}`). */
  | 'incident:escalated'
  /** A panel must hear the state of one of its events (payload: PanelAck + `{panel}`). */
  | 'panel:ack'
  /** An event was committed (payload: `{event}`, the NormalizedEvent). */
  | 'event:stored';

export interface OutboxRow {
  seq: number;
  at: string;
  topic: OutboxTopic;
  incidentId: string | null;
  site: string | null;
  jurisdiction: string | null;
  payload: Record<string, unknown>;
}

type Db = Kysely<DB> | Transaction<DB>;

/** A row's columns as stored. */
const toColumns = (r: NewOutboxRow, at: string) => ({
  at,
  topic: r.topic as string,
  incident_id: r.incidentId ?? null,
  site: r.site ?? null,
  jurisdiction: r.jurisdiction ?? null,
  payload: JSON.stringify(r.payload),
});
type Columns = ReturnType<typeof toColumns>;
const COLUMN_NAMES = Object.keys(toColumns({ topic: 'event:stored', payload: {} }, '')) as (keyof Columns)[];

/** Row `i`'s columns as parameters `at0`, `topic0`, … of a prepared multi-row insert. */
type RowParams = Record<string, string | null>;

/**
 * The insert of 1 to 4 rows, compiled once each (src/store/prepared.ts): every decision appends a
 * few rows, and building the same insert again cost as much as running it.
 */
const APPENDS: Prepared<RowParams, unknown>[] = [1, 2, 3, 4].map((n) =>
  prepare<RowParams>()((k, p) =>
    k
      .insertInto('outbox')
      .values(
        Array.from(
          { length: n },
          (_, i) => Object.fromEntries(COLUMN_NAMES.map((c) => [c, p(`${c}${i}`)])) as Columns,
        ),
      ),
  ),
);

/**
 * The transactional outbox (STYLE.md §11): rows are appended in the transaction of the decision they
 * announce, then read by each sink from its own cursor. `wake` tells local sinks there is news; sinks
 * also poll, so rows committed by another node (or a wake that was missed) are read too.
 */
export class Outbox {
  private readonly signal = new EventEmitter();

  constructor(
    private readonly k: Kysely<DB>,
    private readonly now: () => Date = () => new Date(),
    private readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
  ) {
    this.signal.setMaxListeners(50);
  }

  /** Appends rows inside the caller's transaction; call `wake()` after it commits. */
  async append(tx: Db, rows: readonly NewOutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    // PostgreSQL: writers take turns from here to their commit, so sequence numbers become visible
    // in order and a sink's cursor never passes a row still being committed. (SQLite has one writer.)
    await takeTurn(tx, this.dialect, 'outbox');
    const at = this.now().toISOString();
    const prepared = APPENDS[rows.length - 1];
    if (prepared) {
      const params: RowParams = {};
      rows.forEach((r, i) => {
        for (const [c, v] of Object.entries(toColumns(r, at))) params[`${c}${i}`] = v;
      });
      await prepared.execute(tx, params);
      return;
    }
    await tx
      .insertInto('outbox')
      .values(rows.map((r) => toColumns(r, at)))
      .execute();
  }

  /** Appends in a transaction of its own and wakes the sinks. */
  async publish(rows: readonly NewOutboxRow[]): Promise<void> {
    await this.k.transaction().execute((tx) => this.append(tx, rows));
    this.wake();
  }

  async read(afterSeq: number, limit: number): Promise<OutboxRow[]> {
    const rows = await this.k
      .selectFrom('outbox')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      topic: r.topic as OutboxTopic,
      incidentId: r.incident_id,
      site: r.site,
      jurisdiction: r.jurisdiction,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
    }));
  }

  /** The newest sequence number (0 when empty): where a sink without a stored cursor starts. */
  async tail(): Promise<number> {
    const r = await this.k
      .selectFrom('outbox')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return Number(r?.seq ?? 0);
  }

  /** When the first row after `afterSeq` was committed (ISO), if there is one: how long a sink behind it has kept it waiting. */
  async committedAfter(afterSeq: number): Promise<string | undefined> {
    const r = await this.k
      .selectFrom('outbox')
      .select('at')
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    return r?.at;
  }

  async cursor(sink: string): Promise<number | undefined> {
    const r = await this.k
      .selectFrom('outbox_cursors')
      .select('seq')
      .where('sink', '=', sink)
      .executeTakeFirst();
    return r ? Number(r.seq) : undefined;
  }

  async saveCursor(sink: string, seq: number, tx: Db = this.k): Promise<void> {
    const updated_at = this.now().toISOString();
    await tx
      .insertInto('outbox_cursors')
      .values({ sink, seq, updated_at })
      .onConflict((oc) => oc.column('sink').doUpdateSet({ seq, updated_at }))
      .execute();
  }

  /** Several sinks' cursors in one transaction, whose commit does not wait for the disk (a lost
   * cursor only redelivers rows to idempotent sinks: src/store/relaxed.ts). */
  async saveCursors(cursors: readonly (readonly [string, number])[]): Promise<void> {
    await relaxedTransaction(this.k, async (tx) => {
      for (const [sink, seq] of cursors) await this.saveCursor(sink, seq, tx);
    });
  }

  /**
   * Tells local sinks there is news, at once: deferring it to the next turn sped the PUBACK up
   * (p50 27 → 18 ms under load) but slowed the operators' `incident:new` as much (24 → 34 ms), and
   * the operator seeing the alarm comes first.
   */
  wake(): void {
    this.signal.emit('wake');
  }

  onWake(fn: () => void): () => void {
    this.signal.on('wake', fn);
    return () => this.signal.off('wake', fn);
  }
}
