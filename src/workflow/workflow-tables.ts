import type { Generated } from 'kysely';

/**
 * The workflow's tables (migrations 080-083) as Kysely sees them, added to the shared `DB`. Times are
 * ISO-8601 text (UTC), booleans integers 0/1, lists JSON text: the same queries run on PostgreSQL.
 */
declare module '../store/db-types.js' {
  interface DB {
    incident_plans: IncidentPlansTable;
    incident_steps: IncidentStepsTable;
    incident_calls: IncidentCallsTable;
    incident_owners: IncidentOwnersTable;
    incident_confirmations: IncidentConfirmationsTable;
    incident_forwards: IncidentForwardsTable;
    notifications: NotificationsTable;
    test_modes: TestModesTable;
    test_events: TestEventsTable;
    runaways: RunawaysTable;
    storms: StormsTable;
    held_events: HeldEventsTable;
    schedule_changes: ScheduleChangesTable;
    panel_tests: PanelTestsTable;
  }
}

export interface IncidentPlansTable {
  incident_id: string;
  name: string;
  /** JSON: the plan's steps as chosen (a later config change does not rewrite a running incident). */
  steps: string;
  priority: number;
  chosen_at: string;
}

export interface IncidentStepsTable {
  incident_id: string;
  step_id: string;
  outcome: string;
  note: string | null;
  by_user: string;
  at: string;
}

export interface IncidentCallsTable {
  seq: Generated<number>;
  incident_id: string;
  /** Position in the site's call list (0 first). */
  contact: number;
  name: string;
  phone: string;
  role: string | null;
  result: string;
  note: string | null;
  by_user: string;
  at: string;
}

export interface IncidentOwnersTable {
  seq: Generated<number>;
  incident_id: string;
  owner: string;
  since: string;
  /** take, takeover, site (followed the site's owned alarm), ack. */
  via: string;
  released_at: string | null;
  released_by: string | null;
}

export interface IncidentConfirmationsTable {
  incident_id: string;
  /** The configured name of the confirmation rule. */
  rule: string;
  kind: string;
  by_user: string;
  at: string;
  event_key: string | null;
  detail: string | null;
}

export interface IncidentForwardsTable {
  incident_id: string;
  station: string;
  by_user: string;
  at: string;
  /** JSON: what the station's desk was sent. */
  evidence: string;
}

export interface NotificationsTable {
  id: string;
  incident_id: string | null;
  site: string;
  jurisdiction: string;
  reason: string;
  channel: string;
  kind: string;
  recipient: string;
  address: string;
  subject: string;
  body: string;
  state: string;
  attempts: number;
  created_at: string;
  next_attempt_at: string;
  last_attempt_at: string | null;
  last_error: string | null;
  finished_at: string | null;
  receipt: string | null;
}

export interface TestModesTable {
  id: string;
  site: string;
  panel: string | null;
  reason: string;
  by_user: string;
  started_at: string;
  ends_at: string;
  ended_at: string | null;
  ended_by: string | null;
}

export interface TestEventsTable {
  event_key: string;
  test_mode: string;
  at: string;
}

export interface RunawaysTable {
  id: string;
  device: string;
  site: string;
  since: string;
  incident_id: string | null;
  ticket_id: string | null;
  ticket_raised: number;
  /** Events counted at the last push of the count. */
  reported: number;
  cleared_at: string | null;
  clear_raised: number;
}

export interface StormsTable {
  id: string;
  node: string;
  /** JSON array of categories. */
  categories: string;
  action: string;
  reason: string;
  by_user: string;
  started_at: string;
  ends_at: string;
  ended_at: string | null;
  ended_by: string | null;
  released_at: string | null;
}

export interface HeldEventsTable {
  event_key: string;
  storm: string;
  category: string;
  at: string;
  released_at: string | null;
  /** What the release did: the incident it opened or joined, `cleared` or `none`. */
  outcome: string | null;
}

export interface ScheduleChangesTable {
  id: string;
  site: string;
  /** Local dates, YYYY-MM-DD, inclusive. */
  from_date: string;
  to_date: string;
  /** `closed` or ranges like `10:00-16:00,18:00-22:00`. */
  hours: string;
  reason: string;
  by_user: string;
  at: string;
  deleted_at: string | null;
}

export interface PanelTestsTable {
  panel: string;
  last_test_at: string | null;
  /** When the timer began for a panel never tested. */
  watched_since: string;
  /** The last-test time whose miss was raised (its restore is raised by the next test). */
  missed_for: string | null;
  updated_at: string;
}
