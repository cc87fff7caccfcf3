import type { Generated, Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';
import { takeTurn } from '../store/turns.js';

/** A stored handover note (issue 21). */
export interface HandoverNote {
  id: number;
  jurisdiction: string;
  author: string;
  /** The shift it was written in, `YYYY-M-D-day|night` (the console's shift key). */
  shift: string;
  text: string;
  createdAt: string;
}

/** What a stored event says beyond the incident's event reference: the trouble reason, the code. */
export interface EventDetail {
  key: string;
  site: string;
  device: string;
  type: string;
  zone: string | null;
  cid: string | null;
  /** `detail.reason` (ac_loss, low_battery, communication_lost, …) when the event carries one. */
  reason: string | null;
  /** The Contact ID description stored with the code (English, from the code table). */
  description: string | null;
  ts: string;
  receivedAt: string;
}

/** A signal a site's panel sent that opens no incident (a test report), as the site owner sees it. */
export interface SiteSignal {
  key: string;
  device: string;
  type: string;
  cid: string | null;
  ts: string;
  receivedAt: string;
}

/** The most keys one details request may name (one page of the queue is 300 incidents). */
export const MAX_EVENT_KEYS = 500;

/** The console's own tables (migrations 060 and 061), beside the data layer's schema. */
type ConsoleTables = {
  console_prefs: { user_id: number; prefs: string; updated_at: string };
  console_handover_notes: {
    id: Generated<number>;
    jurisdiction: string;
    author: string;
    shift: string;
    text: string;
    created_at: string;
  };
};

/**
 * Every query of the console's server part (issue 8 preferences, issue 21 handover notes and the
 * read-only lookups the console pages need), through the one data layer's query builder, so the same
 * queries run on SQLite and PostgreSQL.
 */
export class ConsoleStore {
  private readonly k: Kysely<DB & ConsoleTables>;

  constructor(
    private readonly base: Kysely<DB>,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {
    this.k = base.withTables<ConsoleTables>();
  }

  /** The user's stored preferences as written (`db`: a transaction's view of the tables). */
  async prefs(userId: number, db: Kysely<DB & ConsoleTables> = this.k): Promise<unknown> {
    const row = await db
      .selectFrom('console_prefs')
      .select('prefs')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? (JSON.parse(row.prefs) as unknown) : undefined;
  }

  /**
   * Reads the user's stored preferences, merges with `merge` (undefined: nothing to write) and writes
   * the result, in one transaction that holds the user's turn: two pages (or nodes) saving different
   * keys at the same instant keep both, where each read-then-write alone kept only its own.
   */
  async mergePrefs<T extends Record<string, unknown>>(
    userId: number,
    merge: (stored: unknown) => { prefs: T; changed: boolean },
    at: string,
  ): Promise<T> {
    return this.base.transaction().execute(async (tx) => {
      await takeTurn(tx, this.dialect, 'prefs', String(userId));
      const db = tx.withTables<ConsoleTables>();
      const { prefs, changed } = merge(await this.prefs(userId, db));
      if (!changed) return prefs;
      const json = JSON.stringify(prefs);
      await db
        .insertInto('console_prefs')
        .values({ user_id: userId, prefs: json, updated_at: at })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ prefs: json, updated_at: at }))
        .execute();
      return prefs;
    });
  }

  async addHandoverNote(note: Omit<HandoverNote, 'id'>): Promise<HandoverNote> {
    const row = await this.k
      .insertInto('console_handover_notes')
      .values({
        jurisdiction: note.jurisdiction,
        author: note.author,
        shift: note.shift,
        text: note.text,
        created_at: note.createdAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(row.id), ...note };
  }

  /** Notes of the given nodes written at or after `since`, newest first. */
  async handoverNotes(
    jurisdictions: readonly string[],
    since: string,
    limit: number,
  ): Promise<HandoverNote[]> {
    if (jurisdictions.length === 0) return [];
    const rows = await this.k
      .selectFrom('console_handover_notes')
      .select(['id', 'jurisdiction', 'author', 'shift', 'text', 'created_at'])
      .where('created_at', '>=', since)
      .where('jurisdiction', 'in', [...jurisdictions])
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      jurisdiction: r.jurisdiction,
      author: r.author,
      shift: r.shift,
      text: r.text,
      createdAt: r.created_at,
    }));
  }

  /** The stored events named by `keys` (unknown keys are left out). */
  async eventDetails(keys: readonly string[]): Promise<EventDetail[]> {
    if (keys.length === 0) return [];
    const rows = await this.k
      .selectFrom('events')
      .select(['key', 'site', 'device', 'type', 'zone', 'cid', 'detail', 'ts', 'received_at'])
      .where('key', 'in', [...keys])
      .execute();
    return rows.map((r) => {
      const detail = parseDetail(r.detail);
      return {
        key: r.key,
        site: r.site,
        device: r.device,
        type: r.type,
        zone: r.zone,
        cid: r.cid,
        reason: typeof detail['reason'] === 'string' ? detail['reason'] : null,
        description: typeof detail['cidDescription'] === 'string' ? detail['cidDescription'] : null,
        ts: r.ts,
        receivedAt: r.received_at,
      };
    });
  }

  /** A site's events of one type received at or after `since`, newest first. */
  async siteSignals(site: string, type: string, since: string, limit: number): Promise<SiteSignal[]> {
    const rows = await this.k
      .selectFrom('events')
      .select(['key', 'device', 'type', 'cid', 'ts', 'received_at'])
      .where('site', '=', site)
      .where('type', '=', type)
      .where('received_at', '>=', since)
      .orderBy('received_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      key: r.key,
      device: r.device,
      type: r.type,
      cid: r.cid,
      ts: r.ts,
      receivedAt: r.received_at,
    }));
  }

  /** Units ever sent to an incident of `site`: a site owner may read their names, nothing else. */
  async unitsSentToSite(site: string): Promise<string[]> {
    const rows = await this.k
      .selectFrom('incident_units as iu')
      .innerJoin('incidents as i', 'i.id', 'iu.incident_id')
      .select('iu.unit')
      .distinct()
      .where('i.site', '=', site)
      .execute();
    return rows.map((r) => r.unit);
  }
}

function parseDetail(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    // A detail is written by the service as JSON; one that is not is shown without its reason.
    return {};
  }
}
