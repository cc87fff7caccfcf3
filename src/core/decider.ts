import { randomBytes } from 'node:crypto';
import type { IncidentChange } from '../bus.js';
import type { RuleConfig } from '../config/sections/rules.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { NewOutboxRow } from '../outbox/outbox.js';
import type { DecisionStore, Tx } from '../store/decision-store.js';
import type { CoreHooks } from './core-hooks.js';
import { correlate, type Decision } from './correlator.js';
import type { Directory } from './directory.js';
import type { IngestOutcome } from './event-core.js';
import { isLifeSafety, type NormalizedEvent } from './events.js';
import type { Priority } from './incident-types.js';

export function newIncidentId(at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '');
  return `INC-${day}-${randomBytes(4).toString('hex').toUpperCase()}`;
}

/** The outbox row announcing a change of an incident. */
export function updateRow(
  inc: { id: string; site: string; jurisdiction: string },
  change: IncidentChange,
): NewOutboxRow {
  return {
    topic: 'incident:update',
    incidentId: inc.id,
    site: inc.site,
    jurisdiction: inc.jurisdiction,
    payload: { change },
  };
}

const ALARMS = new Set(['panic', 'duress', 'fire', 'medical', 'intrusion', 'tamper']);

export interface DeciderDeps {
  rules: readonly RuleConfig[];
  decisions: DecisionStore;
  dir: Directory;
  log: Logger;
  metrics: Metrics;
  /** The workflow's hooks (issue 17), read per event: they are set after the core is built. */
  hooks(): CoreHooks;
  /** A new incident's id (default `newIncidentId`; tests draw taken ones). */
  incidentIds?: ((at: Date) => string) | undefined;
}

/**
 * What the rules decide on one stored event, applied in the commit's transaction (split from the
 * event core, which batches the commits and carries out operators' changes).
 */
export class Decider {
  private readonly decided;
  private readonly fallbacks;
  private readonly redraws;

  constructor(private readonly deps: DeciderDeps) {
    const m = deps.metrics;
    this.decided = m.counter('sharpeyes_correlation_decisions_total', 'Correlation decisions', [
      'rule',
      'action',
    ]);
    this.redraws = m.counter(
      'sharpeyes_incident_id_redraws_total',
      'New incidents whose random id was already taken and was drawn again',
    );
    this.fallbacks = m.counter(
      'sharpeyes_correlation_fallbacks_total',
      'Events whose rules failed to evaluate; alarms were opened anyway',
      ['type'],
    );
  }

  /**
   * Opens an incident under a new id (`create` is false when the id is taken), drawing again until
   * one is free. Ids are random within their day (32 bits): at 10,000 incidents a day two collide
   * about one day in a hundred, and a taken id used to fail the whole decision: the panel got no
   * PUBACK, and its alarm waited for the redelivery. Drawn again in the same transaction instead.
   */
  private async openIncident(at: string, create: (id: string) => Promise<boolean>): Promise<string> {
    const draw = this.deps.incidentIds ?? newIncidentId;
    for (let n = 1; ; n++) {
      const id = draw(new Date(at));
      if (await create(id)) return id;
      this.redraws.inc();
      this.deps.log.warn({ id, draws: n }, 'core: a new incident drew a taken id; drawing again');
      if (n >= 8) throw new Error(`core: no free incident id after ${n} draws`);
    }
  }

  private evaluate(ev: NormalizedEvent, ctx: Parameters<typeof correlate>[2]): Decision {
    try {
      return correlate(this.deps.rules, ev, ctx);
    } catch (err) {
      // Never lose an alarm to a rule that cannot be evaluated: open it as the type says.
      this.fallbacks.inc({ type: ev.type });
      this.deps.log.error({ err, event: ev.key }, 'core: rules failed on an event; using the fallback');
      if (!ALARMS.has(ev.type)) return { action: 'none', rule: 'fallback' };
      return {
        action: 'open',
        rule: 'fallback',
        priority: isLifeSafety(ev.type) ? 1 : 2,
        kind: 'alarm',
        confirmed: isLifeSafety(ev.type),
      };
    }
  }

  private readonly needs = new Map<string, { alarm: boolean; zones: boolean; ticket: boolean }>();

  /** What the rules matching an event type read: the site's open alarm (and its zones), the device's ticket. */
  private needsOf(type: string): { alarm: boolean; zones: boolean; ticket: boolean } {
    let n = this.needs.get(type);
    if (!n) {
      const actions = new Set(
        this.deps.rules.filter((r) => r.match.includes(type as never)).map((r) => r.action),
      );
      n = {
        alarm: actions.has('join') || actions.has('confirm'),
        zones: actions.has('confirm'),
        ticket: actions.has('maintenance') || actions.has('close_maintenance'),
      };
      this.needs.set(type, n);
    }
    return n;
  }

  /** Correlates one stored event and applies the decision in `tx`, adding outbox rows to `rows`. */
  async decide(
    tx: Tx,
    ev: NormalizedEvent,
    rows: NewOutboxRow[],
    onOpened?: (o: { priority: number; rule: string }) => void,
  ): Promise<IngestOutcome> {
    const { dir, log } = this.deps;
    const hooks = this.deps.hooks();
    const d = this.deps.decisions;
    const base = { key: ev.key, duplicate: false } as const;
    // Decisions are dated by when the event arrived, not by when they are written (a recovered event
    // opens its incident at its arrival, so escalation and response times do not start late).
    const at = ev.receivedAt;
    // Issue 17: test mode and runaway devices take the event before any rule reads the store.
    const diverted = hooks.divert ? await hooks.divert(tx, ev) : undefined;
    if (diverted?.incident) {
      // Counted on the incident without an outbox row: nothing is pushed per event.
      await d.attachEvent(tx, diverted.incident.id, ev, at);
      const { id, state } = diverted.incident;
      return { ...base, incident: id, state, diverted: diverted.divert };
    }
    if (diverted) return { ...base, diverted: diverted.divert };
    // Only what a rule for this type can look at is read (fewer statements per event).
    const needs = this.needsOf(ev.type);
    const openAlarm = needs.alarm ? await d.openAlarm(tx, ev.site, needs.zones) : undefined;
    const openTicket = needs.ticket ? await d.openTicket(tx, ev.site, ev.device) : undefined;
    let decision = this.evaluate(ev, {
      openAlarm,
      openTicket,
      camerasForZone: (panel, zone) => dir.camerasForZone(panel, zone),
    });
    if (hooks.review) {
      const reviewed = await hooks.review(tx, ev, decision);
      if ('divert' in reviewed) return { ...base, diverted: reviewed.divert };
      decision = reviewed;
    }
    this.decided.inc({ rule: decision.rule, action: decision.action });
    switch (decision.action) {
      case 'open': {
        const site = dir.site(ev.site);
        if (!site) {
          log.warn(
            { site: ev.site, event: ev.key },
            'core: event names an unknown site; stored, no incident',
          );
          return base;
        }
        const id = await this.openIncident(at, (id) =>
          d.createIncident(
            tx,
            {
              id,
              site: ev.site,
              jurisdiction: site.jurisdiction,
              priority: decision.priority,
              rule: decision.rule,
              kind: decision.kind,
              confirmed: decision.confirmed,
              device: decision.kind === 'maintenance' ? ev.device : null,
              at,
              by: 'system',
            },
            ev,
          ),
        );
        if (decision.fault) await d.addFault(tx, id, ev.device, decision.fault, ev);
        await hooks.opened?.(
          tx,
          {
            id,
            site: ev.site,
            jurisdiction: site.jurisdiction,
            priority: decision.priority,
            kind: decision.kind,
            confirmed: decision.confirmed,
            rule: decision.rule,
            at,
          },
          ev,
        );
        rows.push({
          topic: 'incident:new',
          incidentId: id,
          site: ev.site,
          jurisdiction: site.jurisdiction,
          payload: {
            rule: decision.rule,
            priority: decision.priority,
            kind: decision.kind,
            eventKey: ev.key,
          },
        });
        onOpened?.({ priority: decision.priority, rule: decision.rule });
        return { ...base, incident: id, state: 'new' };
      }
      case 'join': {
        const inc = openAlarm?.id === decision.incident ? openAlarm : openTicket!;
        await d.attachEvent(tx, inc.id, ev, at);
        if (decision.fault) await d.addFault(tx, inc.id, ev.device, decision.fault, ev);
        if (decision.raise && decision.raise.priority < inc.priority) {
          await d.setPriority(tx, inc.id, decision.raise.priority, decision.raise.confirmed, at);
          rows.push(
            updateRow(inc, {
              kind: 'priority',
              from: inc.priority,
              to: decision.raise.priority,
              eventKey: ev.key,
            }),
          );
        } else {
          rows.push(updateRow(inc, { kind: 'event', eventKey: ev.key }));
        }
        return { ...base, incident: inc.id, state: inc.state };
      }
      case 'confirm': {
        const inc = openAlarm!;
        await d.attachEvent(tx, inc.id, ev, at);
        await d.confirm(tx, inc.id, decision.priority, decision.rule, at);
        rows.push(
          updateRow(inc, {
            kind: 'priority',
            from: inc.priority,
            to: Math.min(inc.priority, decision.priority) as Priority,
            eventKey: ev.key,
            confirmedBy: decision.rule,
          }),
        );
        return { ...base, incident: inc.id, state: inc.state };
      }
      case 'clear': {
        const inc = openTicket!;
        await d.attachEvent(tx, inc.id, ev, at);
        await d.clearFaults(tx, inc.id, ev.device, decision.faults, ev);
        if (!decision.close) {
          rows.push(updateRow(inc, { kind: 'event', eventKey: ev.key }));
          return { ...base, incident: inc.id, state: inc.state };
        }
        // The system closes what the system opened, from any open state.
        await d.transition(tx, inc.id, inc.state, 'resolved', 'system', at, decision.rule);
        rows.push(
          updateRow(inc, {
            kind: 'transition',
            from: inc.state,
            to: 'resolved',
            by: 'system',
            note: decision.rule,
            eventKey: ev.key,
          }),
        );
        return { ...base, incident: inc.id, state: 'resolved' };
      }
      case 'site_state':
        await d.setSiteState(tx, {
          site: ev.site,
          armed: decision.armed,
          mode: decision.mode,
          changedAt: ev.receivedAt,
          eventKey: ev.key,
        });
        return base;
      case 'none':
        return base;
    }
  }
}
