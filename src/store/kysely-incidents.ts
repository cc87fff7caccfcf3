import type { Kysely, Selectable } from 'kysely';
import type {
  Clip,
  Escalation,
  Incident,
  IncidentEventRef,
  IncidentNote,
  IncidentState,
  IncidentUnit,
  Priority,
  Transition,
} from '../core/incident-types.js';
import type { DB, IncidentsTable } from './db-types.js';
import { writeTransition } from './decision-store.js';
import { stateIsOpen } from './open-states.js';
import { prepare } from './prepared.js';
import type { IncidentFilter, IncidentRepository, NewIncident } from './repositories.js';

/** Events an incident carries in pushes and lists (`GET /api/incidents/:id` carries all). */
export const VIEW_EVENTS = 50;

type Row = Selectable<
  Pick<
    IncidentsTable,
    | 'id'
    | 'site'
    | 'jurisdiction'
    | 'priority'
    | 'state'
    | 'rule'
    | 'kind'
    | 'confirmed'
    | 'opened_at'
    | 'updated_at'
    | 'confirmed_by'
    | 'event_count'
  >
>;

const COLUMNS = [
  'id',
  'site',
  'jurisdiction',
  'priority',
  'state',
  'rule',
  'kind',
  'confirmed',
  'opened_at',
  'updated_at',
  'confirmed_by',
  'event_count',
] as const;

/**
 * An incident's parts, read for every push of it (the socket rooms' `incident:new` among them):
 * compiled once (src/store/prepared.ts).
 */
const byId = prepare<{ id: string }>();
const eventsOf = (k: Kysely<DB>, id: string) =>
  k
    .selectFrom('incident_events as ie')
    .innerJoin('events as e', 'e.key', 'ie.event_key')
    .select(['e.key', 'e.type', 'e.zone', 'e.device', 'e.ts', 'e.received_at'])
    .where('ie.incident_id', '=', id)
    // The latest first (then turned round), so a limit keeps the newest.
    .orderBy('e.received_at', 'desc')
    .orderBy('e.key', 'desc');
/** The outcome of the move that closed it (the last one into its closed state), if it gave one. */
function closingOutcome(
  state: string,
  transitions: readonly { to_state: string; outcome: string | null }[],
): { outcome?: string } {
  if (state !== 'resolved' && state !== 'false_alarm') return {};
  const closing = transitions.findLast((t) => t.to_state === state);
  return closing?.outcome ? { outcome: closing.outcome } : {};
}

const Q = {
  incident: byId((k, p) => k.selectFrom('incidents').select(COLUMNS).where('id', '=', p('id'))),
  allEvents: byId((k, p) => eventsOf(k, p('id'))),
  latestEvents: prepare<{ id: string; limit: number }>()((k, p) => eventsOf(k, p('id')).limit(p('limit'))),
  transitions: byId((k, p) =>
    k
      .selectFrom('transitions')
      .select(['from_state', 'to_state', 'by_user', 'at', 'note', 'outcome'])
      .where('incident_id', '=', p('id'))
      .orderBy('seq'),
  ),
  escalations: byId((k, p) =>
    k
      .selectFrom('escalations')
      .select(['step', 'kind', 'jurisdiction', 'at', 'due_at'])
      .where('incident_id', '=', p('id'))
      .orderBy('step'),
  ),
  clips: byId((k, p) =>
    k
      .selectFrom('clips')
      .select(['camera', 'url', 'start', 'end', 'sha256'])
      .where('incident_id', '=', p('id'))
      .orderBy('start')
      .orderBy('camera'),
  ),
  units: byId((k, p) =>
    k
      .selectFrom('incident_units')
      .selectAll()
      .where('incident_id', '=', p('id'))
      .orderBy('dispatched_at')
      .orderBy('unit'),
  ),
  notes: byId((k, p) =>
    k
      .selectFrom('incident_notes')
      .select(['by_user', 'at', 'text'])
      .where('incident_id', '=', p('id'))
      .orderBy('seq'),
  ),
};

/** Incidents, written once for SQLite and PostgreSQL. */
export class KyselyIncidentRepository implements IncidentRepository {
  constructor(
    private readonly k: Kysely<DB>,
    private readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
  ) {}

  /** Legacy path (tests): the core creates incidents in its decision transaction. */
  async create(n: NewIncident): Promise<Incident> {
    await this.k.transaction().execute(async (tx) => {
      await tx
        .insertInto('incidents')
        .values({
          id: n.id,
          site: n.site,
          jurisdiction: n.jurisdiction,
          priority: n.priority,
          state: 'new',
          rule: n.rule,
          kind: n.kind,
          confirmed: n.confirmed ? 1 : 0,
          opened_at: n.openedAt,
          updated_at: n.openedAt,
          device: null,
          event_count: 1,
          last_event_at: n.openedAt,
        })
        .execute();
      await tx.insertInto('incident_events').values({ incident_id: n.id, event_key: n.firstEvent }).execute();
      await tx
        .updateTable('events')
        .set((eb) => ({ correlated_at: eb.fn.coalesce('correlated_at', eb.val(n.openedAt)) }))
        .where('key', '=', n.firstEvent)
        .execute();
      await tx
        .insertInto('transitions')
        .values({
          incident_id: n.id,
          from_state: null,
          to_state: 'new',
          by_user: n.by,
          at: n.openedAt,
          note: null,
        })
        .execute();
    });
    return (await this.get(n.id))!;
  }

  async get(id: string): Promise<Incident | undefined> {
    const r = await this.k.selectFrom('incidents').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return r ? this.hydrate(r) : undefined;
  }

  /**
   * The incident with its latest `eventsLimit` events only (pushes, lists): constant in size. `tx`:
   * read inside a transaction the caller holds (the start-up rehearsal of a push, `rehearseViews`).
   */
  async view(id: string, eventsLimit = VIEW_EVENTS, tx?: Kysely<DB>): Promise<Incident | undefined> {
    const read = async (db: Kysely<DB>) => {
      const r = await Q.incident.first(db, { id });
      return r ? this.hydrate(r, eventsLimit, db) : undefined;
    };
    if (tx) return read(tx);
    // SQLite: one read transaction, so the view is one snapshot and its seven reads run on the
    // connection at once (src/store/prepared.ts); what every push of every change reads. PostgreSQL
    // keeps them in parallel on the pool.
    return this.dialect === 'sqlite' ? this.k.transaction().execute(read) : read(this.k);
  }

  async list(f: IncidentFilter): Promise<Incident[]> {
    if (f.jurisdictions && f.jurisdictions.length === 0) return [];
    let q = this.k.selectFrom('incidents').select(COLUMNS);
    if (f.jurisdictions) q = q.where('jurisdiction', 'in', [...f.jurisdictions]);
    if (f.states && f.states.length > 0) q = q.where('state', 'in', [...f.states]);
    if (f.site) q = q.where('site', '=', f.site);
    if (f.since) q = q.where('opened_at', '>=', f.since);
    if (f.until) q = q.where('opened_at', '<', f.until);
    if (f.priority !== undefined) q = q.where('priority', '=', f.priority);
    if (f.kind) q = q.where('kind', '=', f.kind);
    const rows = await q
      .orderBy('opened_at', 'desc')
      .orderBy('id')
      .limit(f.limit ?? 200)
      .offset(f.offset ?? 0)
      .execute();
    return Promise.all(rows.map((r) => this.hydrate(r, VIEW_EVENTS)));
  }

  async findOpen(site: string, kind: Incident['kind']): Promise<Incident | undefined> {
    const r = await this.k
      .selectFrom('incidents')
      .select(COLUMNS)
      .where('site', '=', site)
      .where('kind', '=', kind)
      .where(stateIsOpen())
      .orderBy('opened_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? this.hydrate(r, VIEW_EVENTS) : undefined;
  }

  /** Legacy path (tests): the core attaches in its decision transaction. */
  async attachEvent(id: string, eventKey: string, at: string): Promise<void> {
    await this.k.transaction().execute(async (tx) => {
      const linked = await tx
        .insertInto('incident_events')
        .values({ incident_id: id, event_key: eventKey })
        .onConflict((oc) => oc.columns(['incident_id', 'event_key']).doNothing())
        .executeTakeFirst();
      await tx
        .updateTable('incidents')
        .set((eb) => ({
          updated_at: at,
          event_count:
            Number(linked.numInsertedOrUpdatedRows ?? 0n) === 1
              ? eb('event_count', '+', 1)
              : eb.ref('event_count'),
        }))
        .where('id', '=', id)
        .execute();
      await tx
        .updateTable('events')
        .set((eb) => ({ correlated_at: eb.fn.coalesce('correlated_at', eb.val(at)) }))
        .where('key', '=', eventKey)
        .execute();
    });
  }

  async transition(
    id: string,
    from: IncidentState,
    to: IncidentState,
    by: string,
    at: string,
    note?: string,
  ): Promise<boolean> {
    return this.k.transaction().execute((tx) => writeTransition(tx, id, from, to, by, at, note));
  }

  async setPriority(id: string, priority: Priority, confirmed: boolean, at: string): Promise<void> {
    await this.k
      .updateTable('incidents')
      .set({ priority, confirmed: confirmed ? 1 : 0, updated_at: at })
      .where('id', '=', id)
      .execute();
  }

  private async hydrate(r: Row, eventsLimit?: number, k: Kysely<DB> = this.k): Promise<Incident> {
    const id = r.id;
    const [events, transitions, escalations, clips, units, notes] = await Promise.all([
      eventsLimit === undefined
        ? Q.allEvents.all(k, { id })
        : Q.latestEvents.all(k, { id, limit: eventsLimit }),
      Q.transitions.all(k, { id }),
      Q.escalations.all(k, { id }),
      Q.clips.all(k, { id }),
      Q.units.all(k, { id }),
      Q.notes.all(k, { id }),
    ]);
    const refs = events.reverse().map((e): IncidentEventRef => {
      const ref: IncidentEventRef = {
        key: e.key,
        type: e.type,
        device: e.device,
        ts: e.ts,
        receivedAt: e.received_at,
      };
      if (e.zone !== null) ref.zone = e.zone;
      return ref;
    });
    return {
      id: r.id,
      site: r.site,
      jurisdiction: r.jurisdiction,
      priority: Number(r.priority) as Priority,
      state: r.state as IncidentState,
      rule: r.rule,
      kind: r.kind as Incident['kind'],
      confirmed: Number(r.confirmed) === 1,
      openedAt: r.opened_at,
      updatedAt: r.updated_at,
      events: refs,
      eventCount: Number(r.event_count),
      transitions: transitions.map((t): Transition => {
        const tr: Transition = {
          from: t.from_state as IncidentState | null,
          to: t.to_state as IncidentState,
          by: t.by_user,
          at: t.at,
        };
        if (t.note !== null) tr.note = t.note;
        if (t.outcome !== null) tr.outcome = t.outcome;
        return tr;
      }),
      escalations: escalations.map((e): Escalation => {
        const esc: Escalation = {
          step: Number(e.step),
          kind: e.kind as Escalation['kind'],
          jurisdiction: e.jurisdiction,
          at: e.at,
        };
        // A step recorded before migration 118 has no due time: it is left out, not guessed.
        if (e.due_at !== null) esc.dueAt = e.due_at;
        return esc;
      }),
      clips: clips as Clip[],
      ...(r.confirmed_by ? { confirmedBy: r.confirmed_by } : {}),
      units: units.map(
        (u): IncidentUnit => ({
          unit: u.unit,
          dispatchedAt: u.dispatched_at,
          dispatchedBy: u.dispatched_by,
          ...(u.arrived_at ? { arrivedAt: u.arrived_at } : {}),
        }),
      ),
      notes: notes.map((n): IncidentNote => ({ by: n.by_user, at: n.at, text: n.text })),
      ...closingOutcome(r.state, transitions),
    };
  }
}
