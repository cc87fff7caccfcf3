import type { Bus, IncidentChange } from '../bus.js';
import type { RuleConfig } from '../config/sections/rules.js';
import { HttpError } from '../errors.js';
import type { Logger } from '../log.js';
import { Metrics } from '../metrics.js';
import type { NewOutboxRow, Outbox } from '../outbox/outbox.js';
import { DecisionStore, type IncidentSummary, type Tx } from '../store/decision-store.js';
import type { Store } from '../store/sqlite.js';
import { RecentDurations } from '../util/recent-durations.js';
import { Batcher, ItemFailed } from './batcher.js';
import type { CoreHooks, DivertedAs, GuardContext } from './core-hooks.js';
import type { CoreRepository, SiteState } from './core-repository.js';
import { Decider, newIncidentId, updateRow } from './decider.js';
import { DEFAULT_RULES } from './default-rules.js';
import type { Directory } from './directory.js';
import { isLifeSafety, type NormalizedEvent } from './events.js';
import type { Escalation, Incident, IncidentState } from './incident-types.js';
import { canTransition } from './state-machine.js';

export interface IngestOutcome {
  key: string;
  /** True when the event had been committed before (a redelivery): nothing new happened. */
  duplicate: boolean;
  incident?: string;
  state?: IncidentState;
  /** Issue 17: the event was stored but diverted from the usual decision (test mode, storm, runaway). */
  diverted?: DivertedAs;
}

export interface EventCoreDeps {
  store: Store;
  outbox: Outbox;
  bus: Bus;
  dir: Directory;
  log: Logger;
  metrics: Metrics;
  now?: () => Date;
  /** Correlation rules in order; the built-in defaults when omitted. */
  rules?: readonly RuleConfig[] | undefined;
  /** The rate a device's `limited` events commit at past their burst (config `mqtt.embedded.panelRate`). */
  deviceRate?: { perSecond: number; burst: number } | undefined;
  /** A new incident's id (default `newIncidentId`): tests draw ids already taken. */
  incidentIds?: ((at: Date) => string) | undefined;
}

export { newIncidentId };

/** What a batch's decision produced (see `EventCore.decideAll`). */
interface Decided {
  outcomes: IngestOutcome[];
  /** Stored for the first time (the rest are redeliveries). */
  counted: NormalizedEvent[];
  dups: NormalizedEvent[];
  opened: { priority: number; rule: string }[];
}

/** Thrown to roll a rehearsal's transaction back. */
const ROLLED_BACK = Symbol('rehearsal rolled back');

/**
 * The event core (issue 13): for each event ONE transaction holds the event row, the decision the
 * rules take on it (incident opened, joined, raised, confirmed, a fault cleared) and the outbox rows
 * that announce it. Only after it commits is the sender acknowledged; the sinks (sockets, panel acks,
 * audit, webhooks, clips, PTZ, verification) read the outbox at their own pace. Operator actions and
 * escalations are decisions too: each change and its outbox rows commit together.
 */
export class EventCore {
  readonly rules: readonly RuleConfig[];
  readonly repo: CoreRepository;
  readonly decisions: DecisionStore;
  private readonly batcher: Batcher<NormalizedEvent, IngestOutcome>;
  private readonly now: () => Date;
  private readonly committed;
  private readonly commitTime;
  /** The last minute's waits for a durable decision (`health`). */
  private readonly recent: RecentDurations;
  private readonly duplicates;
  private readonly opened;
  private readonly decider: Decider;
  private hooks: CoreHooks = {};

  constructor(private readonly deps: EventCoreDeps) {
    this.now = deps.now ?? (() => new Date());
    this.rules = deps.rules ?? DEFAULT_RULES;
    this.repo = deps.store.core;
    this.decisions = new DecisionStore(deps.store.k, deps.store.dialect);
    // A runaway device takes at most 8 places in a batch, and 2 while other devices' events wait: a
    // panic from another panel waits for at most the batch in flight and its own, each holding few
    // of the flood's events (bench/README.md, runaway flood: with 32 places other sites' panics
    // waited 3–8× longer during a flood).
    this.batcher = new Batcher((events) => this.commitBatch(events), 512, {
      keyOf: (e) => `${e.source}:${e.device}`,
      perKey: 8,
      whenOthersWait: 2,
      ...(deps.deviceRate ? { rate: deps.deviceRate } : {}),
    });
    const m = deps.metrics;
    this.committed = m.counter('sharpeyes_events_committed_total', 'Events committed to the store', [
      'source',
      'type',
    ]);
    // What a sender waits for its acknowledgement: queueing behind other batches, the decision, the
    // commit's fsync (the service's own share of every PUBACK and DC-09 ACK).
    this.commitTime = m.histogram(
      'sharpeyes_event_commit_seconds',
      'From an event handed to the core to its decision being durable',
      ['source'],
    );
    this.recent = new RecentDurations();
    this.duplicates = m.counter('sharpeyes_events_duplicate_total', 'Redelivered events ignored', ['source']);
    this.opened = m.counter('sharpeyes_incidents_opened_total', 'Incidents opened', ['priority', 'rule']);
    this.decider = this.newDecider(m);
    m.gauge('sharpeyes_ingest_queue_depth', 'Events waiting for their commit', [], () => this.batcher.depth);
  }

  /**
   * `/api/health`'s `core`: the last minute's events made durable, and how long their senders waited
   * for it (handed to the core → decision durable, what every PUBACK and DC-09 ACK waits for): p50,
   * p99 and the worst. A disk whose fsync stalls shows here first (issue 13: 100–200 ms now and then
   * on a shared disk), as `sharpeyes_event_commit_seconds` does for a Prometheus.
   */
  health(end?: number): {
    lastMinute: { committed: number; waitP50Ms: number; waitP99Ms: number; waitMaxMs: number };
  } {
    // `end`: a minute that ended a moment ago (系统状态's history), else the minute up to now.
    const s = this.recent.summary(end);
    return {
      lastMinute: { committed: s.count, waitP50Ms: s.p50Ms, waitP99Ms: s.p99Ms, waitMaxMs: s.maxMs },
    };
  }

  /**
   * Resolves once the event and its decision are durable: only then may the sender be acknowledged.
   * `limited`: the sender waits for its acknowledgement by reading no more (an embedded-broker panel),
   * so its events may be held to `deviceRate` past their burst; a life-safety event never is, and
   * is committed in the turn it arrived when no other commit has just run (`Batcher`, urgent).
   */
  ingest(event: NormalizedEvent, opts: { limited?: boolean } = {}): Promise<IngestOutcome> {
    const end = this.commitTime.startTimer({ source: event.source });
    const urgent = isLifeSafety(event.type);
    const done = this.batcher.submit(event, opts.limited === true && !urgent, urgent);
    done.then(
      () => this.recent.record(end() * 1000),
      () => undefined,
    );
    return done;
  }

  /**
   * Events a version before issue 13 committed without a decision (the decision now shares the
   * event's transaction, so new ones cannot exist). Each gets its decision now, as of when it arrived.
   */
  async recover(): Promise<number> {
    let total = 0;
    for (;;) {
      const pending = await this.deps.store.events.uncorrelated(200);
      if (pending.length === 0) return total;
      for (const ev of pending) {
        await this.deps.store.k.transaction().execute(async (tx) => {
          await tx
            .updateTable('events')
            .set({ correlated_at: ev.receivedAt })
            .where('key', '=', ev.key)
            .execute();
          const rows: NewOutboxRow[] = [];
          const out = await this.decider.decide(tx, ev, rows);
          rows.push(this.storedRow(ev, out));
          await this.deps.outbox.append(tx, rows);
        });
      }
      this.deps.outbox.wake();
      total += pending.length;
    }
  }

  private newDecider(metrics: Metrics): Decider {
    return new Decider({
      rules: this.rules,
      decisions: this.decisions,
      dir: this.deps.dir,
      log: this.deps.log,
      metrics,
      hooks: () => this.hooks,
      incidentIds: this.deps.incidentIds,
    });
  }

  /** Issue 17: the workflow's part in each decision (test mode, runaway, storm, plans, ownership). */
  setHooks(hooks: CoreHooks): void {
    this.hooks = hooks;
  }

  async drain(): Promise<void> {
    await this.batcher.drain();
  }

  async get(id: string): Promise<Incident | undefined> {
    return this.deps.store.incidents.get(id);
  }

  siteStates(): Promise<Map<string, SiteState>> {
    return this.repo.siteStates();
  }

  /** Moves an incident to `to`; 404 when it does not exist, 409 when the move is not legal from its state. */
  async transition(
    id: string,
    to: IncidentState,
    by: string,
    note?: string,
    opts: { override?: { reason: string }; outcome?: string } = {},
  ): Promise<Incident> {
    return this.move(id, to, by, note, undefined, opts.override, opts.outcome);
  }

  /**
   * Dispatch, optionally with a unit. A further unit sent to an incident already dispatched or on
   * scene is added without a state change.
   */
  async dispatch(id: string, by: string, opts: { unit?: string; note?: string } = {}): Promise<Incident> {
    const at = this.now().toISOString();
    const inc = await this.mustGetSummary(id);
    if (opts.unit && (inc.state === 'dispatched' || inc.state === 'on_scene')) {
      const unit = opts.unit;
      return this.write(
        id,
        async (tx) => {
          await this.unitFree(tx, id, unit);
          const changes: IncidentChange[] = [];
          // A unit already on it (sent again, or from two desks at once) is not a second line.
          if (await this.decisions.addUnit(tx, id, unit, by, at))
            changes.push({ kind: 'annotation', what: `unit ${unit} dispatched`, by });
          if (opts.note) {
            await this.decisions.addNote(tx, id, { by, at, text: opts.note });
            changes.push({ kind: 'annotation', what: 'note', by });
          }
          return changes;
        },
        { by, action: 'dispatch' },
      );
    }
    return this.move(id, 'dispatched', by, opts.note, async (tx) => {
      if (opts.unit) {
        await this.unitFree(tx, id, opts.unit);
        await this.decisions.addUnit(tx, id, opts.unit, by, at);
      }
    });
  }

  /** A unit is committed to one open incident at a time: checked in the dispatch's transaction. */
  private async unitFree(tx: Tx, id: string, unit: string): Promise<void> {
    const busy = await this.decisions.unitBusyElsewhere(tx, unit, id);
    if (busy)
      throw new HttpError(409, 'unit_busy', `unit ${unit} is committed to incident ${busy}`, { busy });
  }

  /** A unit (or the incident's units) reports arrival. */
  async onScene(id: string, by: string, opts: { unit?: string; note?: string } = {}): Promise<Incident> {
    const at = this.now().toISOString();
    const inc = await this.mustGet(id);
    if (opts.unit && !(inc.units ?? []).some((u) => u.unit === opts.unit)) {
      throw new HttpError(409, 'unit_not_dispatched', `unit ${opts.unit} was not dispatched to ${id}`);
    }
    if (inc.state === 'on_scene' && opts.unit) {
      const unit = opts.unit;
      return this.write(
        id,
        async (tx) =>
          // Arrived already (reported twice, or from two desks at once): not a second line.
          (await this.decisions.markArrived(tx, id, unit, at)) > 0
            ? [{ kind: 'annotation', what: `unit ${unit} on scene`, by }]
            : [],
        { by, action: 'on_scene' },
      );
    }
    return this.move(id, 'on_scene', by, opts.note, async (tx) => {
      await this.decisions.markArrived(tx, id, opts.unit, at);
    });
  }

  async addNote(id: string, by: string, text: string): Promise<Incident> {
    const at = this.now().toISOString();
    return this.write(
      id,
      async (tx) => {
        await this.decisions.addNote(tx, id, { by, at, text });
        return [{ kind: 'annotation', what: 'note', by }];
      },
      { by, action: 'note' },
    );
  }

  /**
   * A workflow change (issue 17: a plan step, a call, an owner, a confirmation): `fn` writes its rows
   * in the transaction and returns the changes announced with them. The guard (ownership) runs first
   * unless `guard: false` (taking an incident over is how an operator gets past it).
   */
  apply(
    id: string,
    by: string,
    fn: (tx: Tx, inc: IncidentSummary) => Promise<IncidentChange[]>,
    opts: { guard?: boolean } = {},
  ): Promise<Incident> {
    return this.write(id, fn, opts.guard !== false ? { by, action: 'workflow' } : undefined);
  }

  /**
   * Decides events a hook held (storm mode) now that they are let go: each in a transaction of its
   * own, dated now (an incident opened at its arrival would be overdue and escalate at once).
   */
  async release(events: readonly NormalizedEvent[]): Promise<IngestOutcome[]> {
    const out: IngestOutcome[] = [];
    const at = this.now().toISOString();
    for (const ev of events) {
      await this.deps.store.k.transaction().execute(async (tx) => {
        // The site's turn, as a live decision takes it: a held trouble released at the instant its
        // panel sends another joins the same ticket instead of opening a second (PostgreSQL).
        await this.decisions.lockSites(tx, [ev.site]);
        const rows: NewOutboxRow[] = [];
        out.push(await this.decider.decide(tx, { ...ev, receivedAt: at }, rows));
        await this.deps.outbox.append(tx, rows);
      });
    }
    this.deps.outbox.wake();
    return out;
  }

  /**
   * Announces a change whose data another part committed (a clip cut, a verification result): one
   * outbox row, in a transaction of its own. Returns the incident as it is now.
   */
  announce(id: string, change: IncidentChange): Promise<Incident> {
    return this.write(id, async () => [change]);
  }

  /** @deprecated Use `announce`: kept for callers that re-publish after their own commit. */
  publish(id: string, change: IncidentChange): Promise<Incident> {
    return this.announce(id, change);
  }

  /**
   * Records an escalation step once (the primary key (incident, step) makes it once across restarts
   * and nodes) and announces it, in one transaction. False when it was taken before.
   */
  async escalate(id: string, esc: Escalation): Promise<boolean> {
    const inc = await this.decisions.incidentSummary(this.deps.store.k, id);
    if (!inc) return false;
    let taken = false;
    await this.deps.store.k.transaction().execute(async (tx) => {
      taken = await this.decisions.recordEscalation(tx, id, esc);
      if (!taken) return;
      await this.deps.outbox.append(tx, [
        this.updateRow(inc, {
          kind: 'escalation',
          step: esc.step,
          jurisdiction: esc.jurisdiction,
          at: esc.at,
          ...(esc.dueAt ? { dueAt: esc.dueAt } : {}),
        }),
        {
          topic: 'incident:escalated',
          incidentId: id,
          site: inc.site,
          jurisdiction: inc.jurisdiction,
          payload: { escalation: esc },
        },
      ]);
    });
    if (taken) this.deps.outbox.wake();
    return taken;
  }

  /**
   * One change to an incident in one transaction that holds the site's turn (PostgreSQL: its lock;
   * SQLite has one writer): the incident is read again under it, the guard runs on that, then `fn`
   * writes its rows and returns the changes announced with them. What the guard and `fn` read (who
   * holds it, its priority) stays true to the commit, so two desks acting on one alarm at once take
   * turns on any node: one holds it, the other is told who.
   */
  private async write(
    id: string,
    fn: (tx: Tx, inc: IncidentSummary) => Promise<IncidentChange[]>,
    guard?: GuardContext,
  ): Promise<Incident> {
    const { site } = await this.mustGetSummary(id);
    await this.deps.store.k.transaction().execute(async (tx) => {
      await this.decisions.lockSites(tx, [site]);
      const inc = await this.mustGetSummary(id, tx);
      const guarded = guard ? await this.guard(tx, inc, guard) : [];
      const changes = [...guarded, ...(await fn(tx, inc))];
      await this.deps.outbox.append(
        tx,
        changes.map((c) => this.updateRow(inc, c)),
      );
    });
    this.deps.outbox.wake();
    return (await this.get(id))!;
  }

  /** The workflow's guard (ownership, open plan steps); the system itself is never refused. */
  private async guard(tx: Tx, inc: IncidentSummary, ctx: GuardContext): Promise<IncidentChange[]> {
    if (ctx.by === 'system' || !this.hooks.guard) return [];
    return (await this.hooks.guard(tx, inc, ctx)) ?? [];
  }

  private updateRow(inc: { id: string; site: string; jurisdiction: string }, change: IncidentChange) {
    return updateRow(inc, change);
  }

  private async mustGet(id: string): Promise<Incident> {
    const inc = await this.deps.store.incidents.get(id);
    if (!inc) throw new HttpError(404, 'not_found', `incident ${id} does not exist`);
    return inc;
  }

  private async mustGetSummary(
    id: string,
    db: Tx | Store['k'] = this.deps.store.k,
  ): Promise<IncidentSummary> {
    const inc = await this.decisions.incidentSummary(db, id);
    if (!inc) throw new HttpError(404, 'not_found', `incident ${id} does not exist`);
    return inc;
  }

  private async move(
    id: string,
    to: IncidentState,
    by: string,
    note: string | undefined,
    also?: (tx: Tx) => Promise<unknown>,
    override?: { reason: string },
    outcome?: string,
  ): Promise<Incident> {
    const inc = await this.mustGetSummary(id);
    if (!canTransition(inc.state, to)) {
      throw new HttpError(
        409,
        'illegal_transition',
        `incident ${id} is ${inc.state}; it cannot become ${to}`,
        {
          from: inc.state,
          to,
        },
      );
    }
    const at = this.now().toISOString();
    await this.deps.store.k.transaction().execute(async (tx) => {
      // An acknowledgement takes the alarm when no one holds it: a desk taking it at the same
      // instant waits for this commit (PostgreSQL: the site's lock), so one of the two holds it.
      await this.decisions.lockSites(tx, [inc.site]);
      const guarded = await this.guard(tx, inc, {
        by,
        action: 'transition',
        to,
        ...(override ? { override } : {}),
      });
      // The outcome is a column of the transition row: it commits with the state change or not at all.
      const moved = await this.decisions.transition(tx, id, inc.state, to, by, at, note, outcome);
      // Another desk moved it first: nothing of this one is kept, what the guard wrote (an
      // acknowledgement's take) included.
      if (!moved) throw new HttpError(409, 'conflict', `incident ${id} changed meanwhile; reload and retry`);
      await also?.(tx);
      await this.deps.outbox.append(tx, [
        ...guarded.map((c) => this.updateRow(inc, c)),
        this.updateRow(inc, {
          kind: 'transition',
          from: inc.state,
          to,
          by,
          ...(note ? { note } : {}),
          ...(outcome ? { outcome } : {}),
        }),
      ]);
    });
    this.deps.outbox.wake();
    return (await this.get(id))!;
  }

  /**
   * One transaction for the batch (one fsync for a burst). If it fails, each event is tried alone, so
   * one event that cannot be stored does not hold up the others; its sender gets no acknowledgement
   * and redelivers.
   */
  private async commitBatch(events: NormalizedEvent[]): Promise<(IngestOutcome | ItemFailed)[]> {
    try {
      return await this.commit(events);
    } catch (err) {
      if (events.length === 1) return [new ItemFailed(err)];
      this.deps.log.warn(
        { err, events: events.length },
        'core: batch commit failed; committing its events one by one',
      );
      const out: (IngestOutcome | ItemFailed)[] = [];
      for (const ev of events) {
        try {
          out.push(...(await this.commit([ev])));
        } catch (e) {
          out.push(new ItemFailed(e));
        }
      }
      return out;
    }
  }

  private async commit(events: NormalizedEvent[]): Promise<IngestOutcome[]> {
    // A retried transaction starts from scratch: each attempt decides into new arrays.
    const { outcomes, counted, dups, opened } = await this.deps.store.k
      .transaction()
      .execute((tx) => this.decideAll(tx, events, this.decider));
    this.deps.outbox.wake();
    for (const ev of counted) this.committed.inc({ source: ev.source, type: ev.type });
    for (const ev of dups) this.duplicates.inc({ source: ev.source });
    for (const o of opened) this.opened.inc({ priority: String(o.priority), rule: o.rule });
    return outcomes;
  }

  /** A batch's decision in `tx`: its events stored, each decided, and the outbox rows announcing them. */
  private async decideAll(tx: Tx, events: readonly NormalizedEvent[], decider: Decider): Promise<Decided> {
    const d: Decided = { outcomes: [], counted: [], dups: [], opened: [] };
    const rows: NewOutboxRow[] = [];
    await this.decisions.lockSites(
      tx,
      events.map((e) => e.site),
    );
    for (const ev of events) {
      if (!(await this.decisions.insertEvent(tx, ev))) {
        d.dups.push(ev);
        const inc = await this.decisions.incidentOfEvent(tx, ev.key);
        const out: IngestOutcome = {
          key: ev.key,
          duplicate: true,
          ...(inc ? { incident: inc.id, state: inc.state } : {}),
        };
        d.outcomes.push(out);
        rows.push(this.storedRow(ev, out, true));
        continue;
      }
      d.counted.push(ev);
      const out = await decider.decide(tx, ev, rows, (o) => d.opened.push(o));
      d.outcomes.push(out);
      rows.push(this.storedRow(ev, out));
    }
    await this.deps.outbox.append(tx, rows);
    return d;
  }

  /**
   * A rehearsal of the decision, before panels may connect (issue 13): each event is stored, decided
   * and announced exactly as `ingest` would, in a transaction that is then rolled back, `rounds`
   * times. What the first alarm after a start would otherwise pay for once is paid here: Kysely
   * building and compiling each statement (src/store/prepared.ts), SQLite preparing it, V8 compiling
   * the code on the way. Measured with no cameras: the first panic after a start took 19 ms to its
   * PUBACK, 10–13 ms after a rehearsal (the later ones 3–5 ms; what is left is the broker's and
   * Node's own first use). Nothing is kept: no row (the rollback), no metric (a registry of its own),
   * no wake, no push.
   */
  async rehearse(
    events: readonly NormalizedEvent[],
    rounds = 1,
    during?: (tx: Tx, incidents: string[]) => Promise<void>,
  ): Promise<void> {
    const decider = this.newDecider(new Metrics({ defaults: false }));
    for (let r = 0; r < rounds; r++)
      for (const ev of events) {
        const key = `${ev.key}:rehearsal-${r}`;
        await this.deps.store.k
          .transaction()
          .execute(async (tx) => {
            const d = await this.decideAll(tx, [{ ...ev, key }], decider);
            // `during`: what reads the decision before it is rolled back (`rehearseViews`).
            if (during)
              await during(
                tx,
                d.outcomes.flatMap((o) => (o.incident ? [o.incident] : [])),
              );
            throw ROLLED_BACK;
          })
          .catch((err: unknown) => {
            if (err !== ROLLED_BACK) throw err;
          });
      }
  }

  /** `event:stored` (or redelivered): what the panel-ack sink and other event consumers read. */
  private storedRow(ev: NormalizedEvent, out: IngestOutcome, redelivered = false): NewOutboxRow {
    return {
      topic: 'event:stored',
      incidentId: out.incident,
      site: ev.site,
      payload: {
        event: ev,
        ...(out.incident ? { incident: out.incident, state: out.state } : {}),
        ...(out.diverted ? { diverted: out.diverted } : {}),
        ...(redelivered ? { redelivered: true } : {}),
      },
    };
  }
}
