import type { IncidentChange } from '../bus.js';
import type { IncidentSummary, Tx } from '../store/decision-store.js';
import type { Decision } from './correlator.js';
import type { NormalizedEvent } from './events.js';
import type { IncidentState, Priority } from './incident-types.js';

/**
 * Why an event left the usual decision (issue 17): `test` (its site or panel is in test mode) and
 * `hold` (a supervisor's storm mode holds its category) are stored and open nothing; `runaway` (its
 * device floods) is counted on one incident without a push; `released` (a held event whose release
 * another node decided first) changes nothing.
 */
export type DivertedAs = 'test' | 'hold' | 'runaway' | 'released';

export interface Diversion {
  divert: DivertedAs;
  /** runaway: the incident the event is counted on (none: stored and counted on the device only). */
  incident?: Pick<IncidentSummary, 'id' | 'state'>;
}

/** An incident the decision has just opened, in its transaction. */
export interface OpenedIncident {
  id: string;
  site: string;
  jurisdiction: string;
  priority: Priority;
  kind: 'alarm' | 'maintenance';
  confirmed: boolean;
  rule: string;
  at: string;
}

/** What an operator is doing to an incident, for the guard. */
export interface GuardContext {
  by: string;
  action: 'transition' | 'dispatch' | 'on_scene' | 'note' | 'workflow';
  to?: IncidentState;
  /** A supervisor's reason to close although required steps are open (checked by the route). */
  override?: { reason: string };
}

/**
 * Where the alarm-centre workflow (issue 17) takes part in the core's decisions. Each hook runs inside
 * the decision's transaction, so what it writes commits with the decision or not at all; each must
 * be fast (the alarm path waits) and must not call the core back.
 */
export interface CoreHooks {
  /** Before correlation: divert the event (test mode, runaway device), or undefined to decide it. */
  divert?(tx: Tx, ev: NormalizedEvent): Promise<Diversion | undefined>;
  /** After correlation: change the decision (storm mode demotes) or hold the event. */
  review?(tx: Tx, ev: NormalizedEvent, decision: Decision): Promise<Decision | { divert: 'hold' }>;
  /** An incident was opened: its action plan, its owner. */
  opened?(tx: Tx, inc: OpenedIncident, ev: NormalizedEvent): Promise<void>;
  /**
   * Before an operator's change commits; throws an HttpError to refuse it (ownership, open steps).
   * May return changes of its own to announce with it (a supervisor's override of open steps).
   */
  guard?(tx: Tx, inc: IncidentSummary, ctx: GuardContext): Promise<IncidentChange[] | undefined>;
}
