import type { NormalizedEvent } from './events.js';
import type { Incident, Priority } from './incident-types.js';

/** What correlation decided for one event. */
export type Decision =
  | { action: 'open'; rule: string; priority: Priority; kind: Incident['kind']; confirmed: boolean }
  | { action: 'join'; rule: string; incident: string }
  | { action: 'close'; rule: string; incident: string }
  | { action: 'none'; rule: string };

export interface CorrelationContext {
  openAlarm: Incident | undefined;
  openMaintenance: Incident | undefined;
}

const P1_TYPES = new Set(['panic', 'duress', 'fire', 'medical']);

/** Built-in correlation: the smallest set of rules that keeps one incident per real situation. */
export function correlate(ev: NormalizedEvent, ctx: CorrelationContext): Decision {
  if (P1_TYPES.has(ev.type) || ev.type === 'intrusion' || ev.type === 'tamper') {
    if (ctx.openAlarm) return { action: 'join', rule: 'join-open', incident: ctx.openAlarm.id };
    if (P1_TYPES.has(ev.type))
      return { action: 'open', rule: `${ev.type}-p1`, priority: 1, kind: 'alarm', confirmed: true };
    return { action: 'open', rule: `${ev.type}-p2`, priority: 2, kind: 'alarm', confirmed: false };
  }
  if (ev.type === 'trouble' || ev.type === 'video_loss') {
    if (ctx.openMaintenance)
      return { action: 'join', rule: 'join-maintenance', incident: ctx.openMaintenance.id };
    return { action: 'open', rule: 'trouble-ticket', priority: 4, kind: 'maintenance', confirmed: true };
  }
  if ((ev.type === 'restore' || ev.type === 'video_restore') && ctx.openMaintenance) {
    return { action: 'close', rule: 'restore-closes', incident: ctx.openMaintenance.id };
  }
  return { action: 'none', rule: 'no-incident' };
}
