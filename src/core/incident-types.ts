/** Incident shapes of the public contract (DESIGN.md, `GET /api/incidents/:id`). */

export const INCIDENT_STATES = [
  'new',
  'acknowledged',
  'dispatched',
  'on_scene',
  'resolved',
  'false_alarm',
] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

export const OPEN_STATES: readonly IncidentState[] = ['new', 'acknowledged', 'dispatched', 'on_scene'];

export type Priority = 1 | 2 | 3 | 4;

export interface Transition {
  from: IncidentState | null;
  to: IncidentState;
  by: string;
  at: string;
  note?: string;
  /**
   * How it was closed (src/core/close-outcomes.ts): on a move to `resolved` the outcome, on a move
   * to `false_alarm` the cause. Absent on other moves and on closings that gave none.
   */
  outcome?: string;
}

export interface Escalation {
  step: number;
  kind: 'reannounce' | 'escalate';
  /** Jurisdiction node whose desks were notified. */
  jurisdiction: string;
  /** When the step was taken: the desks were notified then. */
  at: string;
  /**
   * When the step fell due by the policy (the incident's opening plus the step's `afterSeconds`): on a
   * step as it is taken (`incident:escalated`, its webhook and its audit entry) and on an incident read
   * back (kept since migration 118; absent on steps recorded before). Well before `at` when the service
   * was not running at that time: the step was taken late, after a restart.
   */
  dueAt?: string;
}

export interface Clip {
  camera: string;
  url: string;
  start: string;
  end: string;
  sha256: string;
}

export interface IncidentEventRef {
  key: string;
  type: string;
  zone?: string;
  device: string;
  ts: string;
  receivedAt: string;
}

/** A unit sent to an incident (issue 4): who sent it, when, and when it reported arrival. */
export interface IncidentUnit {
  unit: string;
  dispatchedAt: string;
  dispatchedBy: string;
  arrivedAt?: string;
}

export interface IncidentNote {
  by: string;
  at: string;
  text: string;
}

export interface Incident {
  id: string;
  site: string;
  /** Jurisdiction node of the site: the incident is routed to this node and its ancestors. */
  jurisdiction: string;
  priority: Priority;
  state: IncidentState;
  /** Name of the correlation rule that opened it. */
  rule: string;
  kind: 'alarm' | 'maintenance';
  confirmed: boolean;
  openedAt: string;
  updatedAt: string;
  /**
   * Its events, oldest first. Lists and pushes carry the latest ones only (`eventCount` says how many
   * there are): a runaway panel's incident must not make every push grow with it.
   */
  events: IncidentEventRef[];
  eventCount?: number;
  transitions: Transition[];
  escalations: Escalation[];
  clips: Clip[];
  /** Name of the rule that confirmed an unconfirmed alarm (sequential confirmation), if any. */
  confirmedBy?: string;
  units?: IncidentUnit[];
  notes?: IncidentNote[];
  /** The outcome of its closing transition, when it is closed with one (the closed list shows it). */
  outcome?: string;
  /**
   * The display name of each user who acted on it, by username (src/auth/people-names.ts): added to
   * the views of staff roles only; one without a name is absent and is shown by their login.
   */
  people?: Record<string, string>;
}
