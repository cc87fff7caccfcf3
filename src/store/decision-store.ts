import type { Kysely, Transaction } from 'kysely';
import type { NormalizedEvent } from '../core/events.js';
import type { IncidentState, Priority } from '../core/incident-types.js';
import type { DB } from './db-types.js';
import { eventToRow } from './kysely-events.js';
import { stateIsOpen } from './open-states.js';
import { prepare } from './prepared.js';
import { takeTurn } from './turns.js';

export type Tx = Transaction<DB>;

/** What correlation reads about an open incident: a constant size, however many events joined it. */
export interface IncidentSummary {
  id: string;
  site: string;
  jurisdiction: string;
  priority: Priority;
  state: IncidentState;
  rule: string;
  kind: 'alarm' | 'maintenance';
  confirmed: boolean;
  openedAt: string;
  device: string | null;
}

export interface OpenAlarm extends IncidentSummary {
  /** Distinct (device, zone, type) of its events. */
  zones: { device: string; zone: string | undefined; type: string }[];
}

export interface OpenTicket extends IncidentSummary {
  /** Faults not yet cleared. */
  faults: string[];
}

export interface NewIncidentRow {
  id: string;
  site: string;
  jurisdiction: string;
  priority: Priority;
  rule: string;
  kind: 'alarm' | 'maintenance';
  confirmed: boolean;
  device: string | null;
  at: string;
  by: string;
}

function summary(r: {
  id: string;
  site: string;
  jurisdiction: string;
  priority: number;
  state: string;
  rule: string;
  kind: string;
  confirmed: number;
  opened_at: string;
  device: string | null;
}): IncidentSummary {
  return {
    id: r.id,
    site: r.site,
    jurisdiction: r.jurisdiction,
    priority: r.priority as Priority,
    state: r.state as IncidentState,
    rule: r.rule,
    kind: r.kind as 'alarm' | 'maintenance',
    confirmed: Number(r.confirmed) === 1,
    openedAt: r.opened_at,
    device: r.device,
  };
}

const SUMMARY = [
  'id',
  'site',
  'jurisdiction',
  'priority',
  'state',
  'rule',
  'kind',
  'confirmed',
  'opened_at',
  'device',
] as const;

// The statements every alarm runs, compiled once (src/store/prepared.ts).
const INSERT_EVENT = prepare<ReturnType<typeof eventToRow>>()((k, p) =>
  k
    .insertInto('events')
    .values({
      key: p('key'),
      source: p('source'),
      device: p('device'),
      site: p('site'),
      type: p('type'),
      zone: p('zone'),
      cid: p('cid'),
      ts: p('ts'),
      received_at: p('received_at'),
      detail: p('detail'),
      // Correlated in this same transaction: there is no "stored but undecided" any more.
      correlated_at: p('received_at'),
    })
    .onConflict((oc) => oc.column('key').doNothing()),
);

const OPEN_ALARM = prepare<{ site: string }>()((k, p) =>
  k
    .selectFrom('incidents')
    .select(SUMMARY)
    .where('site', '=', p('site'))
    .where('kind', '=', 'alarm')
    .where(stateIsOpen())
    .orderBy('opened_at', 'desc')
    .limit(1),
);

const ZONES = prepare<{ id: string }>()((k, p) =>
  k.selectFrom('incident_zones').select(['device', 'zone', 'type']).where('incident_id', '=', p('id')),
);

const SUMMARY_OF = prepare<{ id: string }>()((k, p) =>
  k.selectFrom('incidents').select(SUMMARY).where('id', '=', p('id')),
);

const INSERT_INCIDENT = prepare<{
  id: string;
  site: string;
  jurisdiction: string;
  priority: number;
  rule: string;
  kind: string;
  confirmed: number;
  at: string;
  device: string | null;
  lastEventAt: string;
}>()((k, p) =>
  k
    .insertInto('incidents')
    .values({
      id: p('id'),
      site: p('site'),
      jurisdiction: p('jurisdiction'),
      priority: p('priority'),
      state: 'new',
      rule: p('rule'),
      kind: p('kind'),
      confirmed: p('confirmed'),
      opened_at: p('at'),
      updated_at: p('at'),
      device: p('device'),
      event_count: 1,
      last_event_at: p('lastEventAt'),
    })
    // An id already taken inserts nothing: the decider draws another (src/core/decider.ts).
    .onConflict((oc) => oc.column('id').doNothing()),
);

const INSERT_OPENING = prepare<{ id: string; by: string; at: string }>()((k, p) =>
  k.insertInto('transitions').values({
    incident_id: p('id'),
    from_state: null,
    to_state: 'new',
    by_user: p('by'),
    at: p('at'),
    note: null,
  }),
);

const INSERT_LINK = prepare<{ id: string; key: string }>()((k, p) =>
  k.insertInto('incident_events').values({ incident_id: p('id'), event_key: p('key') }),
);

const INSERT_ZONE = prepare<{ id: string; device: string; zone: string; type: string }>()((k, p) =>
  k
    .insertInto('incident_zones')
    .values({ incident_id: p('id'), device: p('device'), zone: p('zone'), type: p('type') }),
);

/**
 * The statements of one decision (issue 13): each takes the decision's transaction, so the event, the
 * incident change and the outbox rows commit together or not at all. Written once for SQLite and
 * PostgreSQL with Kysely.
 */
export class DecisionStore {
  constructor(
    readonly k: Kysely<DB>,
    readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
  ) {}

  /**
   * Correlation reads a site's open incidents and then writes: two nodes deciding events of the same
   * site at once must take turns (issue 16). PostgreSQL: a transaction-scoped advisory lock per site,
   * taken in sorted order so two batches cannot deadlock. SQLite has one writer already.
   */
  async lockSites(tx: Tx, sites: readonly string[]): Promise<void> {
    if (this.dialect !== 'postgres') return;
    for (const site of [...new Set(sites)].sort()) await takeTurn(tx, this.dialect, 'site', site);
  }

  /** Inserts the event unless its key is there already; true when it is new. */
  async insertEvent(tx: Tx, e: NormalizedEvent): Promise<boolean> {
    const res = await INSERT_EVENT.execute(tx, eventToRow(e));
    return Number(res.numAffectedRows ?? 0n) === 1;
  }

  /** The incident a redelivered event belongs to, with its state. */
  async incidentOfEvent(
    tx: Tx | Kysely<DB>,
    key: string,
  ): Promise<{ id: string; state: IncidentState } | undefined> {
    const r = await tx
      .selectFrom('incident_events as ie')
      .innerJoin('incidents as i', 'i.id', 'ie.incident_id')
      .select(['i.id', 'i.state'])
      .where('ie.event_key', '=', key)
      .limit(1)
      .executeTakeFirst();
    return r ? { id: r.id, state: r.state as IncidentState } : undefined;
  }

  /** The site's open alarm; its zones only with `zones` (sequential confirmation reads them). */
  async openAlarm(tx: Tx, site: string, zones = true): Promise<OpenAlarm | undefined> {
    const r = await OPEN_ALARM.first(tx, { site });
    if (!r) return undefined;
    // Confirmation reads the zones only of an alarm still unconfirmed.
    if (!zones || Number(r.confirmed) === 1) return { ...summary(r), zones: [] };
    const rows = await ZONES.all(tx, { id: r.id });
    return {
      ...summary(r),
      zones: rows.map((z) => ({ device: z.device, zone: z.zone === '' ? undefined : z.zone, type: z.type })),
    };
  }

  /** The device's open maintenance ticket (issue 13: tickets are per device). */
  async openTicket(tx: Tx, site: string, device: string): Promise<OpenTicket | undefined> {
    const r = await tx
      .selectFrom('incidents')
      .select(SUMMARY)
      .where('site', '=', site)
      .where('kind', '=', 'maintenance')
      .where('device', '=', device)
      .where(stateIsOpen())
      .orderBy('opened_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!r) return undefined;
    const faults = await tx
      .selectFrom('incident_faults')
      .select('fault')
      .where('incident_id', '=', r.id)
      .where('device', '=', device)
      .where('cleared_at', 'is', null)
      .execute();
    return { ...summary(r), faults: faults.map((f) => f.fault) };
  }

  /** Opens the incident with its first event; false, writing nothing, when its id is already taken. */
  async createIncident(tx: Tx, n: NewIncidentRow, first: NormalizedEvent): Promise<boolean> {
    const inserted = await INSERT_INCIDENT.execute(tx, {
      id: n.id,
      site: n.site,
      jurisdiction: n.jurisdiction,
      priority: n.priority,
      rule: n.rule,
      kind: n.kind,
      confirmed: n.confirmed ? 1 : 0,
      at: n.at,
      device: n.device,
      lastEventAt: first.receivedAt,
    });
    if (Number(inserted.numAffectedRows ?? 0n) !== 1) return false;
    await INSERT_OPENING.execute(tx, { id: n.id, by: n.by, at: n.at });
    await INSERT_LINK.execute(tx, { id: n.id, key: first.key });
    await INSERT_ZONE.execute(tx, {
      id: n.id,
      device: first.device,
      zone: first.zone ?? '',
      type: first.type,
    });
    return true;
  }

  /** Links the event, counts it and records its (device, zone, type) for later correlation. */
  async attachEvent(tx: Tx, id: string, e: NormalizedEvent, at: string): Promise<boolean> {
    const linked = await tx
      .insertInto('incident_events')
      .values({ incident_id: id, event_key: e.key })
      .onConflict((oc) => oc.columns(['incident_id', 'event_key']).doNothing())
      .executeTakeFirst();
    if (Number(linked.numInsertedOrUpdatedRows ?? 0n) !== 1) return false;
    await tx
      .insertInto('incident_zones')
      .values({ incident_id: id, device: e.device, zone: e.zone ?? '', type: e.type })
      .onConflict((oc) => oc.columns(['incident_id', 'device', 'zone', 'type']).doNothing())
      .execute();
    await tx
      .updateTable('incidents')
      .set((eb) => ({
        event_count: eb('event_count', '+', 1),
        last_event_at: e.receivedAt,
        updated_at: at,
      }))
      .where('id', '=', id)
      .execute();
    return true;
  }

  async setPriority(tx: Tx, id: string, priority: Priority, confirmed: boolean, at: string): Promise<void> {
    await tx
      .updateTable('incidents')
      .set({ priority, confirmed: confirmed ? 1 : 0, updated_at: at })
      .where('id', '=', id)
      .execute();
  }

  async confirm(tx: Tx, id: string, priority: Priority, rule: string, at: string): Promise<void> {
    await tx
      .updateTable('incidents')
      .set((eb) => ({
        priority: eb.case().when('priority', '>', priority).then(priority).else(eb.ref('priority')).end(),
        confirmed: 1,
        confirmed_by: rule,
        confirmed_at: at,
        updated_at: at,
      }))
      .where('id', '=', id)
      .execute();
  }

  async addFault(tx: Tx, id: string, device: string, fault: string, e: NormalizedEvent): Promise<boolean> {
    const res = await tx
      .insertInto('incident_faults')
      .values({ incident_id: id, device, fault, opened_at: e.receivedAt, event_key: e.key })
      .onConflict((oc) =>
        // The same fault again after it was cleared on a still-open ticket: open it again.
        oc
          .columns(['incident_id', 'device', 'fault'])
          .doUpdateSet({ cleared_at: null, cleared_by: null, opened_at: e.receivedAt, event_key: e.key })
          .where('incident_faults.cleared_at', 'is not', null),
      )
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async clearFaults(
    tx: Tx,
    id: string,
    device: string,
    faults: readonly string[],
    e: NormalizedEvent,
  ): Promise<void> {
    if (faults.length === 0) return;
    await tx
      .updateTable('incident_faults')
      .set({ cleared_at: e.receivedAt, cleared_by: e.key })
      .where('incident_id', '=', id)
      .where('device', '=', device)
      .where('fault', 'in', [...faults])
      .where('cleared_at', 'is', null)
      .execute();
  }

  /** Compare-and-set on the state; false when another writer moved it first. */
  transition(
    tx: Tx,
    id: string,
    from: IncidentState,
    to: IncidentState,
    by: string,
    at: string,
    note?: string,
    outcome?: string,
  ): Promise<boolean> {
    return writeTransition(tx, id, from, to, by, at, note, outcome);
  }

  setSiteState(
    tx: Tx,
    s: { site: string; armed: boolean; mode: string; changedAt: string; eventKey: string | null },
  ): Promise<void> {
    return writeSiteState(tx, s);
  }

  /**
   * The open incident other than `id` that `unit` is committed to, read under the unit's turn (on
   * PostgreSQL a lock held to the commit): two desks dispatching one unit at once see each other.
   */
  async unitBusyElsewhere(tx: Tx, unit: string, id: string): Promise<string | undefined> {
    await takeTurn(tx, this.dialect, 'unit', unit);
    const row = await tx
      .selectFrom('incident_units as u')
      .innerJoin('incidents as i', 'i.id', 'u.incident_id')
      .select('u.incident_id')
      .where('u.unit', '=', unit)
      .where('u.incident_id', '!=', id)
      .where(stateIsOpen('i.state'))
      .executeTakeFirst();
    return row?.incident_id;
  }

  /** Adds the unit to the incident; false when it was on it already (nothing is written then). */
  async addUnit(tx: Tx, id: string, unit: string, by: string, at: string): Promise<boolean> {
    const r = await tx
      .insertInto('incident_units')
      .values({ incident_id: id, unit, dispatched_at: at, dispatched_by: by, arrived_at: null })
      .onConflict((oc) => oc.columns(['incident_id', 'unit']).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return false;
    await tx.updateTable('incidents').set({ updated_at: at }).where('id', '=', id).execute();
    return true;
  }

  /** Marks the unit (or every unit of the incident not yet arrived) arrived; returns how many. */
  async markArrived(tx: Tx, id: string, unit: string | undefined, at: string): Promise<number> {
    let q = tx
      .updateTable('incident_units')
      .set({ arrived_at: at })
      .where('incident_id', '=', id)
      .where('arrived_at', 'is', null);
    if (unit) q = q.where('unit', '=', unit);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async addNote(tx: Tx, id: string, note: { by: string; at: string; text: string }): Promise<void> {
    await tx
      .insertInto('incident_notes')
      .values({ incident_id: id, by_user: note.by, at: note.at, text: note.text })
      .execute();
    await tx.updateTable('incidents').set({ updated_at: note.at }).where('id', '=', id).execute();
  }

  /**
   * Inserts a step unless it is there already: the key (incident, step) makes it once everywhere. Its
   * due time is kept beside when it was taken, so an incident read back tells a late step apart.
   */
  async recordEscalation(
    tx: Tx,
    id: string,
    esc: { step: number; kind: string; jurisdiction: string; at: string; dueAt?: string },
  ): Promise<boolean> {
    const res = await tx
      .insertInto('escalations')
      .values({
        incident_id: id,
        step: esc.step,
        kind: esc.kind,
        jurisdiction: esc.jurisdiction,
        at: esc.at,
        due_at: esc.dueAt ?? null,
      })
      .onConflict((oc) => oc.columns(['incident_id', 'step']).doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0n) !== 1) return false;
    await tx.updateTable('incidents').set({ updated_at: esc.at }).where('id', '=', id).execute();
    return true;
  }

  async incidentSummary(tx: Tx | Kysely<DB>, id: string): Promise<IncidentSummary | undefined> {
    const r = await SUMMARY_OF.first(tx, { id });
    return r ? summary(r) : undefined;
  }
}

/**
 * Moves an incident from `from` to `to` (compare-and-set) and records the transition, in `db` (a
 * transaction of the caller): the one statement pair both the core's decisions and the repository use.
 */
export async function writeTransition(
  db: Kysely<DB>,
  id: string,
  from: IncidentState,
  to: IncidentState,
  by: string,
  at: string,
  note?: string,
  outcome?: string,
): Promise<boolean> {
  const closed = to === 'resolved' || to === 'false_alarm';
  const res = await db
    .updateTable('incidents')
    .set((eb) => ({
      state: to,
      updated_at: at,
      acknowledged_at:
        to === 'acknowledged' ? eb.fn.coalesce('acknowledged_at', eb.val(at)) : eb.ref('acknowledged_at'),
      closed_at: closed ? eb.fn.coalesce('closed_at', eb.val(at)) : eb.ref('closed_at'),
    }))
    .where('id', '=', id)
    .where('state', '=', from)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return false;
  await db
    .insertInto('transitions')
    .values({
      incident_id: id,
      from_state: from,
      to_state: to,
      by_user: by,
      at,
      note: note ?? null,
      // Only a closing move carries one: the outcome belongs to the state it closes into.
      outcome: closed ? (outcome ?? null) : null,
    })
    .execute();
  return true;
}

/** A site's arm state, kept only when it is not older than the stored one (events may arrive late). */
export async function writeSiteState(
  db: Kysely<DB>,
  s: { site: string; armed: boolean; mode: string; changedAt: string; eventKey: string | null },
): Promise<void> {
  await db
    .insertInto('site_states')
    .values({
      site: s.site,
      armed: s.armed ? 1 : 0,
      mode: s.mode,
      changed_at: s.changedAt,
      event_key: s.eventKey,
    })
    .onConflict((oc) =>
      oc
        .column('site')
        .doUpdateSet((eb) => ({
          armed: eb.ref('excluded.armed'),
          mode: eb.ref('excluded.mode'),
          changed_at: eb.ref('excluded.changed_at'),
          event_key: eb.ref('excluded.event_key'),
        }))
        .where('excluded.changed_at', '>=', (eb) => eb.ref('site_states.changed_at')),
    )
    .execute();
}
