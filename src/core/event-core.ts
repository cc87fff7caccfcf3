import { randomBytes } from 'node:crypto';
import type { Bus } from '../bus.js';
import { HttpError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/repositories.js';
import { Batcher } from './batcher.js';
import { correlate, type Decision } from './correlator.js';
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
}

export function newIncidentId(at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '');
  return `INC-${day}-${randomBytes(4).toString('hex').toUpperCase()}`;
}

/**
 * The event core: commits events (in groups), correlates each new one into an incident, and
 * publishes what changed on the bus. Sinks (socket.io, panel acks, streams) subscribe to the bus.
 */
export class EventCore {
  private readonly batcher: Batcher<NormalizedEvent, IngestOutcome>;
  private readonly now: () => Date;
  private readonly committed;
  private readonly duplicates;
  private readonly opened;

  constructor(private readonly deps: EventCoreDeps) {
    this.now = deps.now ?? (() => new Date());
    this.batcher = new Batcher((events) => this.commitAndCorrelate(events));
    this.committed = deps.metrics.counter(
      'sharpeyes_events_committed_total',
      'Events committed to the store',
      ['source', 'type'],
    );
    this.duplicates = deps.metrics.counter('sharpeyes_events_duplicate_total', 'Redelivered events ignored', [
      'source',
    ]);
    this.opened = deps.metrics.counter('sharpeyes_incidents_opened_total', 'Incidents opened', [
      'priority',
      'rule',
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

  /** Moves an incident to `to`; 404 when it does not exist, 409 when the move is not legal from its state. */
  async transition(id: string, to: IncidentState, by: string, note?: string): Promise<Incident> {
    const { store, bus } = this.deps;
    const inc = await store.incidents.get(id);
    if (!inc) throw new HttpError(404, 'not_found', `incident ${id} does not exist`);
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
      correlated.push(ev.key);
      outcomes.push({
        key: ev.key,
        duplicate: false,
        ...(inc ? { incident: inc.id, state: inc.state } : {}),
      });
    }
    await store.events.markCorrelated(correlated, this.now().toISOString());
    return outcomes;
  }

  private async correlateOne(ev: NormalizedEvent): Promise<Incident | undefined> {
    const { store, bus, dir, log } = this.deps;
    const [openAlarm, openMaintenance] = await Promise.all([
      store.incidents.findOpen(ev.site, 'alarm'),
      store.incidents.findOpen(ev.site, 'maintenance'),
    ]);
    const decision: Decision = correlate(ev, { openAlarm, openMaintenance });
    const at = this.now();
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
          openedAt: at.toISOString(),
          firstEvent: ev.key,
          by: 'system',
        });
        this.opened.inc({ priority: String(inc.priority), rule: inc.rule });
        bus.emit('incident:new', inc);
        return inc;
      }
      case 'join': {
        await store.incidents.attachEvent(decision.incident, ev.key, at.toISOString());
        const inc = (await store.incidents.get(decision.incident))!;
        bus.emit('incident:update', inc, { kind: 'event', eventKey: ev.key });
        return inc;
      }
      case 'close': {
        await store.incidents.attachEvent(decision.incident, ev.key, at.toISOString());
        const before = (await store.incidents.get(decision.incident))!;
        await store.incidents.transition(
          before.id,
          before.state,
          'resolved',
          'system',
          at.toISOString(),
          decision.rule,
        );
        const inc = (await store.incidents.get(decision.incident))!;
        bus.emit('incident:update', inc, {
          kind: 'transition',
          from: before.state,
          to: 'resolved',
          by: 'system',
        });
        return inc;
      }
      case 'none':
        return undefined;
    }
  }
}
