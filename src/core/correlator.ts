import type { RuleConfig } from '../config/sections/rules.js';
import type { OpenAlarm, OpenTicket } from '../store/decision-store.js';
import { DEFAULT_CONFIRM_WINDOW_SECONDS } from './default-rules.js';
import type { NormalizedEvent } from './events.js';
import { clearsFault, faultOf } from './faults.js';
import type { Incident, Priority } from './incident-types.js';

/** What correlation decided for one event; `rule` names the rule that decided. */
export type Decision =
  | {
      action: 'open';
      rule: string;
      priority: Priority;
      kind: Incident['kind'];
      confirmed: boolean;
      /** Maintenance tickets: the fault the event raises on its device's ticket. */
      fault?: string;
    }
  | {
      action: 'join';
      rule: string;
      incident: string;
      raise?: { priority: Priority; confirmed: boolean };
      fault?: string;
    }
  | { action: 'confirm'; rule: string; incident: string; priority: Priority }
  /** A restore clears faults of its device's ticket; `close` when none is left open. */
  | { action: 'clear'; rule: string; incident: string; faults: string[]; close: boolean }
  | { action: 'site_state'; rule: string; armed: boolean; mode: string }
  | { action: 'none'; rule: string };

export interface CorrelationContext {
  openAlarm: OpenAlarm | undefined;
  /** The open maintenance ticket of the event's own device (tickets are per device). */
  openTicket: OpenTicket | undefined;
  /** Cameras linked to a panel zone (`Directory.camerasForZone`). */
  camerasForZone(panelId: string, zone: string | undefined): readonly { id: string }[];
}

/** A trouble that says the panel stopped talking: supervision (communication_lost) or CID 350/354. */
export function isCommunicationLoss(ev: NormalizedEvent): boolean {
  if (ev.type !== 'trouble') return false;
  const reason = ev.detail?.['reason'];
  if (typeof reason === 'string' && /^communication/.test(reason)) return true;
  return ev.cid === 'E350' || ev.cid === 'E354';
}

/**
 * Sequential confirmation (BS 8243): a second, different intrusion zone; motion or a person on a
 * camera linked to an alarmed zone; or the panel going silent (a cut line is how a real intruder
 * defeats a panel).
 */
export function confirms(
  ev: NormalizedEvent,
  inc: OpenAlarm,
  cams: CorrelationContext['camerasForZone'],
): boolean {
  const zones = inc.zones.filter((e) => e.type === 'intrusion');
  if (ev.type === 'intrusion') {
    if (ev.zone === undefined) return false;
    return zones.length > 0 && !zones.some((e) => e.device === ev.device && e.zone === ev.zone);
  }
  if (ev.type === 'motion' || ev.type === 'person') {
    return zones.some((e) => cams(e.device, e.zone).some((c) => c.id === ev.device));
  }
  return isCommunicationLoss(ev);
}

const DEFAULT_PRIORITY: Partial<Record<RuleConfig['action'], Priority>> = {
  open: 1,
  open_unconfirmed: 2,
  maintenance: 4,
  confirm: 1,
};

function priorityOf(rule: RuleConfig): Priority {
  return (rule.priority ?? DEFAULT_PRIORITY[rule.action] ?? 3) as Priority;
}

/**
 * Evaluates the rules in order. The first rule that matches the event type and whose condition holds
 * decides; a rule whose condition fails (nothing to join, nothing to confirm) passes to the next.
 */
export function correlate(
  rules: readonly RuleConfig[],
  ev: NormalizedEvent,
  ctx: CorrelationContext,
): Decision {
  for (const rule of rules) {
    if (!rule.match.includes(ev.type)) continue;
    if (rule.detail && !detailHolds(rule.detail, ev)) continue;
    const d = apply(rule, rules, ev, ctx);
    if (d) return d;
  }
  return { action: 'none', rule: 'no-rule' };
}

/** Every value the rule names is the event's (`{watchlist: true}`: a plate on the watchlist). */
function detailHolds(
  want: Readonly<Record<string, string | number | boolean>>,
  ev: NormalizedEvent,
): boolean {
  return Object.entries(want).every(([k, v]) => ev.detail?.[k] === v);
}

function apply(
  rule: RuleConfig,
  rules: readonly RuleConfig[],
  ev: NormalizedEvent,
  ctx: CorrelationContext,
): Decision | undefined {
  const { openAlarm, openTicket } = ctx;
  switch (rule.action) {
    case 'open':
    case 'open_unconfirmed':
      return {
        action: 'open',
        rule: rule.name,
        priority: priorityOf(rule),
        kind: 'alarm',
        confirmed: rule.action === 'open',
      };
    case 'confirm': {
      if (!openAlarm || openAlarm.confirmed) return undefined;
      const windowMs = (rule.confirmWindowSeconds ?? DEFAULT_CONFIRM_WINDOW_SECONDS) * 1000;
      if (Date.parse(ev.receivedAt) - Date.parse(openAlarm.openedAt) > windowMs) return undefined;
      if (!confirms(ev, openAlarm, ctx.camerasForZone)) return undefined;
      return { action: 'confirm', rule: rule.name, incident: openAlarm.id, priority: priorityOf(rule) };
    }
    case 'join': {
      if (!openAlarm) return undefined;
      // A panic at a site whose intrusion is still unconfirmed makes the incident a P1 at once.
      const opener = rules.find(
        (r) => (r.action === 'open' || r.action === 'open_unconfirmed') && r.match.includes(ev.type),
      );
      if (opener && priorityOf(opener) < openAlarm.priority) {
        return {
          action: 'join',
          rule: rule.name,
          incident: openAlarm.id,
          raise: { priority: priorityOf(opener), confirmed: openAlarm.confirmed || opener.action === 'open' },
        };
      }
      return { action: 'join', rule: rule.name, incident: openAlarm.id };
    }
    case 'maintenance': {
      const fault = faultOf(ev);
      if (openTicket) return { action: 'join', rule: rule.name, incident: openTicket.id, fault };
      return {
        action: 'open',
        rule: rule.name,
        priority: priorityOf(rule),
        kind: 'maintenance',
        confirmed: true,
        fault,
      };
    }
    case 'close_maintenance': {
      // Only the device's own ticket, and only the faults this restore restores: the restore of an
      // alarm zone (R130) is not the end of a trouble, a camera's return not the end of a dead panel.
      if (!openTicket) return undefined;
      const faults = openTicket.faults.filter((f) => clearsFault(ev, f));
      if (faults.length === 0) return undefined;
      return {
        action: 'clear',
        rule: rule.name,
        incident: openTicket.id,
        faults,
        close: faults.length === openTicket.faults.length,
      };
    }
    case 'site_state': {
      const mode = ev.detail?.['mode'];
      const armed = ev.type === 'arm';
      return {
        action: 'site_state',
        rule: rule.name,
        armed,
        mode: armed ? (typeof mode === 'string' ? mode : 'away') : 'disarmed',
      };
    }
    case 'ignore':
      return { action: 'none', rule: rule.name };
  }
}
