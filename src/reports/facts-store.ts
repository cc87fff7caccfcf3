import { type Kysely, sql } from 'kysely';
import type { DB } from '../store/db-types.js';
import { type Columns, executeRows, prepare, rowsOf } from '../store/prepared.js';
import { relaxedTransaction } from '../store/relaxed.js';
import { takeTurn } from '../store/turns.js';

/** What the projection reads of one incident (from the alarm path's tables, by primary keys). */
export interface IncidentSource {
  id: string;
  site: string;
  jurisdiction: string;
  kind: string;
  rule: string;
  priority: number;
  state: string;
  confirmed: number;
  openedAt: string;
  acknowledgedAt: string | null;
  closedAt: string | null;
  /** Type of the opening event (known facts keep theirs). */
  type: string | undefined;
  /** First move to `dispatched` and to `on_scene`. */
  movedTo: Map<string, string>;
  units: { unit: string; dispatchedAt: string; arrivedAt: string | null }[];
  escalations: { step: number; jurisdiction: string; at: string }[];
  /** The outcome code of its closing move, when it gave one. */
  outcome: string | null;
}

export type FactRow = DB['report_incidents'];
export type DispatchRow = DB['report_dispatches'];

/** Chunks for multi-row inserts: well under SQLite's and PostgreSQL's parameter limits. */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

type Ids = { ids: string[] };

const incidentsById = prepare<Ids>()((k, p) =>
  k
    .selectFrom('incidents')
    .select([
      'id',
      'site',
      'jurisdiction',
      'kind',
      'rule',
      'priority',
      'state',
      'confirmed',
      'opened_at',
      'acknowledged_at',
      'closed_at',
    ])
    .where('id', 'in', p('ids')),
);

const typesById = prepare<Ids>()((k, p) =>
  k.selectFrom('report_incidents').select(['incident_id', 'type']).where('incident_id', 'in', p('ids')),
);

/** The type of each incident's first event (read once per incident: facts keep it). */
const openingTypes = prepare<Ids>()((k, p) =>
  k
    .selectFrom(
      k
        .selectFrom('incident_events as ie')
        .innerJoin('events as e', 'e.key', 'ie.event_key')
        .select([
          'ie.incident_id',
          'e.type',
          sql<number>`ROW_NUMBER() OVER (PARTITION BY ie.incident_id ORDER BY e.received_at, e.key)`.as('rn'),
        ])
        .where('ie.incident_id', 'in', p('ids'))
        .as('ranked'),
    )
    .select(['incident_id', 'type'])
    .where('rn', '=', 1),
);

/** First move to `dispatched` and to `on_scene`. */
const firstMoves = prepare<Ids>()((k, p) =>
  k
    .selectFrom('transitions')
    .select(['incident_id', 'to_state', (eb) => eb.fn.min('at').as('at')])
    .where('incident_id', 'in', p('ids'))
    .where('to_state', 'in', ['dispatched', 'on_scene'])
    .groupBy(['incident_id', 'to_state']),
);

/** The outcome of the closing move (closed states are final: one such move an incident at most). */
const closingOutcomes = prepare<Ids>()((k, p) =>
  k
    .selectFrom('transitions')
    .select(['incident_id', 'outcome'])
    .where('incident_id', 'in', p('ids'))
    .where('to_state', 'in', ['resolved', 'false_alarm'])
    .where('outcome', 'is not', null),
);

const unitsOf = prepare<Ids>()((k, p) =>
  k
    .selectFrom('incident_units')
    .select(['incident_id', 'unit', 'dispatched_at', 'arrived_at'])
    .where('incident_id', 'in', p('ids')),
);

const escalationsOf = prepare<Ids>()((k, p) =>
  k
    .selectFrom('escalations')
    .select(['incident_id', 'step', 'jurisdiction', 'at'])
    .where('incident_id', 'in', p('ids')),
);

/** `excluded.<column>` for each column an upsert overwrites. */
function overwrite<T>(names: readonly (keyof T & string)[], key: readonly string[]) {
  return (eb: { ref(r: string): unknown }) =>
    Object.fromEntries(names.filter((n) => !key.includes(n)).map((n) => [n, eb.ref(`excluded.${n}`)]));
}

const FACT_COLUMNS = [
  'incident_id',
  'site',
  'jurisdiction',
  'kind',
  'type',
  'rule',
  'priority',
  'state',
  'confirmed',
  'opened_ms',
  'local_day',
  'local_hour',
  'ack_ms',
  'dispatch_ms',
  'arrive_ms',
  'closed_ms',
  'escalations',
  'escalated_ms',
  'escalated_to',
  'updated_at',
  'outcome',
] as const satisfies readonly (keyof FactRow)[];

const DISPATCH_COLUMNS = [
  'incident_id',
  'unit',
  'site',
  'jurisdiction',
  'opened_ms',
  'dispatched_ms',
  'arrived_ms',
  'closed_ms',
] as const satisfies readonly (keyof DispatchRow)[];

const upsertFacts = prepare<Columns<FactRow>>()((k, p) =>
  k
    .insertInto('report_incidents')
    .values(rowsOf<FactRow>(p as never, FACT_COLUMNS))
    .onConflict((oc) =>
      oc.column('incident_id').doUpdateSet(overwrite<FactRow>(FACT_COLUMNS, ['incident_id']) as never),
    ),
);

const upsertDispatches = prepare<Columns<DispatchRow>>()((k, p) =>
  k
    .insertInto('report_dispatches')
    .values(rowsOf<DispatchRow>(p as never, DISPATCH_COLUMNS))
    .onConflict((oc) =>
      oc
        .columns(['incident_id', 'unit'])
        .doUpdateSet(overwrite<DispatchRow>(DISPATCH_COLUMNS, ['incident_id', 'unit']) as never),
    ),
);

/**
 * Every statement of the reporting projection (issue 19), on the main connection: set-based reads of
 * a batch of incidents by key, and small upserts. Reports themselves never run here (see
 * report-queries.ts, run by the worker).
 */
export class FactsStore {
  constructor(
    readonly k: Kysely<DB>,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  /**
   * The incidents named, with what reports need of each: one query per table for the whole list.
   * The queries are prepared (src/store/prepared.ts): a list of up to `MAX_LIST` ids is compiled
   * once per length, not built and compiled by Kysely on every call; longer lists still are.
   */
  async sources(ids: readonly string[]): Promise<IncidentSource[]> {
    if (ids.length === 0) return [];
    const rows = await incidentsById.all(this.k, { ids: [...ids] });
    if (rows.length === 0) return [];
    const found = rows.map((r) => r.id);
    const known = new Map((await typesById.all(this.k, { ids: found })).map((r) => [r.incident_id, r.type]));
    const missing = found.filter((id) => !known.has(id));
    const opening =
      missing.length > 0
        ? new Map((await openingTypes.all(this.k, { ids: missing })).map((r) => [r.incident_id, r.type]))
        : new Map<string, string>();
    const moves = await firstMoves.all(this.k, { ids: found });
    const units = await unitsOf.all(this.k, { ids: found });
    const escalations = await escalationsOf.all(this.k, { ids: found });
    const outcomes = new Map(
      (await closingOutcomes.all(this.k, { ids: found })).map((o) => [o.incident_id, o.outcome]),
    );
    return rows.map((r) => ({
      id: r.id,
      site: r.site,
      jurisdiction: r.jurisdiction,
      kind: r.kind,
      rule: r.rule,
      priority: Number(r.priority),
      state: r.state,
      confirmed: Number(r.confirmed),
      openedAt: r.opened_at,
      acknowledgedAt: r.acknowledged_at,
      closedAt: r.closed_at,
      type: known.get(r.id) ?? opening.get(r.id),
      movedTo: new Map(moves.filter((m) => m.incident_id === r.id).map((m) => [m.to_state, String(m.at)])),
      units: units
        .filter((u) => u.incident_id === r.id)
        .map((u) => ({ unit: u.unit, dispatchedAt: u.dispatched_at, arrivedAt: u.arrived_at })),
      escalations: escalations
        .filter((e) => e.incident_id === r.id)
        .map((e) => ({ step: Number(e.step), jurisdiction: e.jurisdiction, at: e.at })),
      outcome: outcomes.get(r.id) ?? null,
    }));
  }

  /**
   * Writes the facts of a batch in one short transaction, `MAX_LIST` rows to a prepared statement.
   * Facts are projected again from the outbox after a crash, so the commit need not wait for the
   * disk (src/store/relaxed.ts).
   */
  async write(facts: readonly FactRow[], dispatches: readonly DispatchRow[]): Promise<void> {
    if (facts.length === 0) return;
    await relaxedTransaction(this.k, async (tx) => {
      await executeRows(upsertFacts, tx, facts, FACT_COLUMNS);
      await executeRows(upsertDispatches, tx, dispatches, DISPATCH_COLUMNS);
    });
  }

  /** Opens an outage unless the device has one open already (a repeated loss is the same outage). */
  async openOutage(o: {
    device: string;
    deviceKind: 'panel' | 'camera';
    site: string;
    jurisdiction: string;
    startMs: number;
    event: string;
  }): Promise<void> {
    await relaxedTransaction(this.k, async (tx) => {
      const open = await tx
        .selectFrom('report_outages')
        .select('start_ms')
        .where('device', '=', o.device)
        .where('end_ms', 'is', null)
        .executeTakeFirst();
      if (open) return;
      await tx
        .insertInto('report_outages')
        .values({
          device: o.device,
          device_kind: o.deviceKind,
          site: o.site,
          jurisdiction: o.jurisdiction,
          start_ms: o.startMs,
          end_ms: null,
          start_event: o.event,
          end_event: null,
        })
        .onConflict((oc) => oc.columns(['device', 'start_ms']).doNothing())
        .execute();
    });
  }

  /**
   * Closes the device's open outage (a restore without a recorded loss changes nothing), unless that
   * outage's loss was received after this restore: a restore seen again (the `reports` sink runs on
   * every node, and one that lags replays what another already projected) does not end the outage a
   * later loss opened. Before, a lagging node's replay closed it at its start, and the site's offline
   * time that month lost the whole outage. `receivedAt`: the restore's receipt.
   */
  async closeOutage(device: string, endMs: number, event: string, receivedAt: string): Promise<void> {
    await this.k
      .updateTable('report_outages')
      .set((eb) => ({
        // A restore dated before the loss it ends (clock skew) ends it at its start: never negative.
        end_ms: eb.case().when('start_ms', '>', endMs).then(eb.ref('start_ms')).else(endMs).end(),
        end_event: event,
      }))
      .where('device', '=', device)
      .where('end_ms', 'is', null)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('events as e')
              .select('e.key')
              .whereRef('e.key', '=', 'report_outages.start_event')
              .where('e.received_at', '>', receivedAt),
          ),
        ),
      )
      .execute();
  }

  /**
   * The city's tree (as (ancestor, node) pairs) and sites, rewritten in one transaction unless
   * `hash` is what was written last; true when written. The transaction holds the reports' turn and
   * reads the hash after it: several nodes starting at once with a changed city write it one after
   * another, and those after the first find it written (before, a second node's inserts met the
   * first's rows and it failed to start on PostgreSQL). A site seen for the first time is dated
   * `nowMs`, a known one keeps its date.
   */
  async writeConfig(
    hash: string,
    pairs: readonly { ancestor: string; node: string }[],
    sites: readonly { site: string; kind: string; jurisdiction: string }[],
    nowMs: number,
  ): Promise<boolean> {
    return this.k.transaction().execute(async (tx) => {
      await takeTurn(tx, this.dialect, 'reportConfig');
      const written = await tx
        .selectFrom('report_state')
        .select('value')
        .where('key', '=', 'config')
        .executeTakeFirst();
      if (written?.value === hash) return false;
      await tx.deleteFrom('report_tree').execute();
      for (const part of chunks(pairs, 200)) await tx.insertInto('report_tree').values(part).execute();
      await tx.updateTable('report_sites').set({ configured: 0 }).execute();
      for (const part of chunks(sites, 100)) {
        await tx
          .insertInto('report_sites')
          .values(part.map((s) => ({ ...s, first_seen_ms: nowMs, configured: 1 })))
          .onConflict((oc) =>
            oc.column('site').doUpdateSet((eb) => ({
              kind: eb.ref('excluded.kind'),
              jurisdiction: eb.ref('excluded.jurisdiction'),
              configured: 1,
            })),
          )
          .execute();
      }
      const updated_at = new Date().toISOString();
      await tx
        .insertInto('report_state')
        .values({ key: 'config', value: hash, updated_at })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: hash, updated_at }))
        .execute();
      return true;
    });
  }

  /** A site's history starts at its first incident when that is older than the day it was first configured. */
  async datesFromHistory(): Promise<void> {
    await this.k
      .updateTable('report_sites')
      .set((eb) => ({
        first_seen_ms: eb
          .selectFrom('report_incidents as f')
          .select((e) => e.fn.min('f.opened_ms').as('m'))
          .whereRef('f.site', '=', 'report_sites.site'),
      }))
      .where((eb) =>
        eb(
          'first_seen_ms',
          '>',
          eb
            .selectFrom('report_incidents as f')
            .select((e) => e.fn.min('f.opened_ms').as('m'))
            .whereRef('f.site', '=', 'report_sites.site'),
        ),
      )
      .execute();
  }

  /**
   * One page of incident ids in (opened_at, id) order after `after`: the backfill walks them all.
   * The row value `(opened_at, id) > (?, ?)` is a range on `incidents_opened`: each page reads its
   * own rows. Written as `opened_at > ? OR (opened_at = ? AND id > ?)`, SQLite read and sorted every
   * incident after the cursor for each page (12.9 ms a page at 150,000 incidents, against 0.2).
   */
  async incidentPage(
    after: { openedAt: string; id: string } | undefined,
    limit: number,
  ): Promise<{ id: string; openedAt: string }[]> {
    let q = this.k.selectFrom('incidents').select(['id', 'opened_at']);
    if (after)
      q = q.where(({ eb, refTuple, tuple }) =>
        eb(refTuple('opened_at', 'id'), '>', tuple(after.openedAt, after.id)),
      );
    const rows = await q.orderBy('opened_at').orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ id: r.id, openedAt: r.opened_at }));
  }

  async state(key: string): Promise<string | undefined> {
    const r = await this.k
      .selectFrom('report_state')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirst();
    return r?.value;
  }

  async setState(key: string, value: string): Promise<void> {
    const updated_at = new Date().toISOString();
    await this.k
      .insertInto('report_state')
      .values({ key, value, updated_at })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at }))
      .execute();
  }
}
