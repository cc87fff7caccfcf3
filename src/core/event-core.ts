import { randomBytes } from 'node:crypto';
import type { Bus, IncidentChange } from '../bus.js';
import type { RuleConfig } from '../config/sections/rules.js';
import { HttpError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/repositories.js';
import { Batcher } from './batcher.js';
import type { CoreRepository, SiteState } from './core-repository.js';
import { correlate, type Decision } from './correlator.js';
import { DEFAULT_RULES } from './default-rules.js';
import type { Directory } from './directory.js';
import type { NormalizedEvent } from './events.js';
import type { Incident, IncidentState } from './incident-types.js';
import { canTransition } from './state-machine.js';

export interface IngestOutcome {
  key: string;
  /** True when the event had been committed before (a redelivery): nothing new happened. */
  duplicate: boolean;
  incident?: string;
  state?: IncidentState;
}

export interface EventCoreDeps {
  store: Store;
  bus: Bus;
  dir: Directory;
  log: Logger;
  metrics: Metrics;
  now?: () => Date;
  /** Correlation rules in order; the built-in defaults when omitted. */
  rules?: readonly RuleConfig[] | undefined;
}

export function newIncidentId(at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '');
  return `INC-${day}-${randomBytes(4).toString('hex').toUpperCase()}`;
}

/**
 * The event core: commits events (in groups), correlates each new one into an incident by the
 * configured rules, and publishes what changed on the bus. Sinks (socket.io, panel acks, audit,
 * webhooks, streams) subscribe to the bus.
 */
export class EventCore {
  readonly rules: readonly RuleConfig[];
  readonly repo: CoreRepository;
  private readonly batcher: Batcher<NormalizedEvent, IngestOutcome>;
  private readonly now: () => Date;
  private readonly committed;
  private readonly duplicates;
  private readonly opened;
  private readonly decisions;

  constructor(private readonly deps: EventCoreDeps) {
    this.now = deps.now ?? (() => new Date());
    this.rules = deps.rules ?? DEFAULT_RULES;
    this.repo = deps.store.core;
    this.batcher = new Batcher((events) => this.commitAndCorrelate(events));
    const m = deps.metrics;
    this.committed = m.counter('sharpeyes_events_committed_total', 'Events committed to the store', [
      'source',
      'type',
    ]);
    this.duplicates = m.counter('sharpeyes_events_duplicate_total', 'Redelivered events ignored', ['source']);
    this.opened = m.counter('sharpeyes_incidents_opened_total', 'Incidents opened', ['priority', 'rule']);
    this.decisions = m.counter('sharpeyes_correlation_decisions_total', 'Correlation decisions', [
      'rule',
      'action',
    ]);
  }

  /** Resolves once the event is durable and correlated: only then may the sender be acknowledged. */
  ingest(event: NormalizedEvent): Promise<IngestOutcome> {
    return this.batcher.submit(event);
  }

  /** Correlates events that were committed before a crash but never correlated. */
  async recover(): Promise<number> {
    let total = 0;
    for (;;) {
      const pending = await this.deps.store.events.uncorrelated(500);
      if (pending.length === 0) return total;
      for (const ev of pending) await this.correlateOne(ev);
      await this.deps.store.events.markCorrelated(
        pending.map((e) => e.key),
        this.now().toISOString(),
      );
      total += pending.length;
    }
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
  async transition(id: string, to: IncidentState, by: string, note?: string): Promise<Incident> {
    return this.move(id, to, by, note);
  }

  /**
   * Dispatch, optionally with a unit. A further unit sent to an incident already dispatched or on
   * scene is added without a state change.
   */
  async dispatch(id: string, by: string, opts: { unit?: string; note?: string } = {}): Promise<Incident> {
    const at = this.now().toISOString();
    const inc = await this.mustGet(id);
    if (opts.unit && (inc.state === 'dispatched' || inc.state === 'on_scene')) {
      await this.repo.addUnit(id, opts.unit, by, at);
      if (opts.note) await this.repo.addNote(id, { by, at, text: opts.note });
      return this.publish(id, { kind: 'annotation', what: `unit ${opts.unit} dispatched`, by });
    }
    return this.move(id, 'dispatched', by, opts.note, async () => {
      if (opts.unit) await this.repo.addUnit(id, opts.unit, by, at);
    });
  }

  /** A unit (or the incident's units) reports arrival. */
  async onScene(id: string, by: string, opts: { unit?: string; note?: string } = {}): Promise<Incident> {
    const at = this.now().toISOString();
    const inc = await this.mustGet(id);
    if (opts.unit && !(inc.units ?? []).some((u) => u.unit === opts.unit)) {
      throw new HttpError(409, 'unit_not_dispatched', `unit ${opts.unit} was not dispatched to ${id}`);
    }
    if (inc.state === 'on_scene' && opts.unit) {
      await this.repo.markArrived(id, opts.unit, at);
      return this.publish(id, { kind: 'annotation', what: `unit ${opts.unit} on scene`, by });
    }
    return this.move(id, 'on_scene', by, opts.note, async () => {
      await this.repo.markArrived(id, opts.unit, at);
    });
  }

  async addNote(id: string, by: string, text: string): Promise<Incident> {
    await this.mustGet(id);
    await this.repo.addNote(id, { by, at: this.now().toISOString(), text });
    return this.publish(id, { kind: 'annotation', what: 'note', by });
  }

  /** Re-reads the incident and publishes it with the change (used by the escalation maintainer too). */
  async publish(id: string, change: IncidentChange): Promise<Incident> {
    const inc = await this.mustGet(id);
    this.deps.bus.emit('incident:update', inc, change);
    return inc;
  }

  private async mustGet(id: string): Promise<Incident> {
    const inc = await this.deps.store.incidents.get(id);
    if (!inc) throw new HttpError(404, 'not_found', `incident ${id} does not exist`);
    return inc;
  }

  private async move(
    id: string,
    to: IncidentState,
    by: string,
    note: string | undefined,
    after?: () => Promise<void>,
  ): Promise<Incident> {
    const { store, bus } = this.deps;
    const inc = await this.mustGet(id);
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
    const ok = await store.incidents.transition(id, inc.state, to, by, this.now().toISOString(), note);
    if (!ok) throw new HttpError(409, 'conflict', `incident ${id} changed meanwhile; reload and retry`);
    await after?.();
    const updated = (await store.incidents.get(id))!;
    bus.emit('incident:update', updated, { kind: 'transition', from: inc.state, to, by });
    return updated;
  }

  private async commitAndCorrelate(events: NormalizedEvent[]): Promise<IngestOutcome[]> {
    const { store } = this.deps;
    const fresh = await store.events.insertMany(events);
    const outcomes: IngestOutcome[] = [];
    const correlated: string[] = [];
    for (const [i, ev] of events.entries()) {
      if (!fresh[i]) {
        this.duplicates.inc({ source: ev.source });
        const incident = await store.events.incidentOf(ev.key);
        const inc = incident ? await store.incidents.get(incident) : undefined;
        outcomes.push({
          key: ev.key,
          duplicate: true,
          ...(inc ? { incident: inc.id, state: inc.state } : {}),
        });
        continue;
      }
      this.committed.inc({ source: ev.source, type: ev.type });
      this.deps.bus.emit('event:stored', ev);
      const inc = await this.correlateOne(ev);
      // An event linked to an incident was marked correlated in the incident's own transaction;
      // the rest (site state, nothing to do) share one commit for the batch, none when empty.
      if (!inc) correlated.push(ev.key);
      outcomes.push({
        key: ev.key,
        duplicate: false,
        ...(inc ? { incident: inc.id, state: inc.state } : {}),
      });
    }
    if (correlated.length > 0) await store.events.markCorrelated(correlated, this.now().toISOString());
    return outcomes;
  }

  private async correlateOne(ev: NormalizedEvent): Promise<Incident | undefined> {
    const { store, bus, dir, log } = this.deps;
    const [openAlarm, openMaintenance] = await Promise.all([
      store.incidents.findOpen(ev.site, 'alarm'),
      store.incidents.findOpen(ev.site, 'maintenance'),
    ]);
    const decision: Decision = correlate(this.rules, ev, {
      openAlarm,
      openMaintenance,
      camerasForZone: (panel, zone) => dir.camerasForZone(panel, zone),
    });
    this.decisions.inc({ rule: decision.rule, action: decision.action });
    const at = this.now();
    const iso = at.toISOString();
    switch (decision.action) {
      case 'open': {
        const site = dir.site(ev.site);
        if (!site) {
          log.warn(
            { site: ev.site, event: ev.key },
            'core: event names an unknown site; stored, no incident',
          );
          return undefined;
        }
        const inc = await store.incidents.create({
          id: newIncidentId(at),
          site: ev.site,
          jurisdiction: site.jurisdiction,
          priority: decision.priority,
          rule: decision.rule,
          kind: decision.kind,
          confirmed: decision.confirmed,
          openedAt: iso,
          firstEvent: ev.key,
          by: 'system',
        });
        this.opened.inc({ priority: String(inc.priority), rule: inc.rule });
        bus.emit('incident:new', inc);
        return inc;
      }
      case 'join': {
        await store.incidents.attachEvent(decision.incident, ev.key, iso);
        const before = openAlarm?.id === decision.incident ? openAlarm : openMaintenance;
        if (decision.raise && before) {
          await store.incidents.setPriority(
            before.id,
            decision.raise.priority,
            decision.raise.confirmed,
            iso,
          );
          return this.publish(decision.incident, {
            kind: 'priority',
            from: before.priority,
            to: decision.raise.priority,
          });
        }
        return this.publish(decision.incident, { kind: 'event', eventKey: ev.key });
      }
      case 'confirm': {
        const before = openAlarm!;
        await store.incidents.attachEvent(before.id, ev.key, iso);
        await this.repo.confirm(before.id, decision.priority, decision.rule, iso);
        return this.publish(before.id, {
          kind: 'priority',
          from: before.priority,
          to: Math.min(before.priority, decision.priority),
        });
      }
      case 'close': {
        await store.incidents.attachEvent(decision.incident, ev.key, iso);
        const before = (await store.incidents.get(decision.incident))!;
        // A restore ends a ticket from any open state: the system closes what the system opened.
        await store.incidents.transition(before.id, before.state, 'resolved', 'system', iso, decision.rule);
        const inc = (await store.incidents.get(decision.incident))!;
        bus.emit('incident:update', inc, {
          kind: 'transition',
          from: before.state,
          to: 'resolved',
          by: 'system',
        });
        return inc;
      }
      case 'site_state':
        await this.repo.setSiteState({
          site: ev.site,
          armed: decision.armed,
          mode: decision.mode,
          changedAt: ev.receivedAt,
          eventKey: ev.key,
        });
        return undefined;
      case 'none':
        return undefined;
    }
  }
}
