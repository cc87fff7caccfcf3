import type { Generated } from 'kysely';

/**
 * The tables of the data layer as Kysely sees them: one typed schema for SQLite and PostgreSQL.
 * Times are ISO-8601 text (UTC) unless the column says `_ms` (epoch milliseconds); booleans are
 * integers 0/1 so the same queries run on both databases.
 */
export interface EventsTable {
  key: string;
  source: string;
  device: string;
  site: string;
  type: string;
  zone: string | null;
  cid: string | null;
  ts: string;
  received_at: string;
  detail: string | null;
  correlated_at: string | null;
}

export interface IncidentsTable {
  id: string;
  site: string;
  jurisdiction: string;
  priority: number;
  state: string;
  rule: string;
  kind: string;
  confirmed: number;
  opened_at: string;
  updated_at: string;
  acknowledged_at: string | null;
  closed_at: string | null;
  confirmed_by: string | null;
  confirmed_at: string | null;
  /** Maintenance tickets: the device whose faults the ticket tracks (migration 012). */
  device: string | null;
  event_count: Generated<number>;
  last_event_at: string | null;
}

export interface IncidentEventsTable {
  incident_id: string;
  event_key: string;
}

export interface TransitionsTable {
  seq: Generated<number>;
  incident_id: string;
  from_state: string | null;
  to_state: string;
  by_user: string;
  at: string;
  note: string | null;
  /** How it was closed (migration 013): set only on a move to `resolved` or `false_alarm`. */
  outcome: string | null;
}

export interface EscalationsTable {
  incident_id: string;
  step: number;
  kind: string;
  jurisdiction: string;
  at: string;
  /** When the step fell due (migration 118); NULL for steps recorded before. */
  due_at: string | null;
}

export interface ClipsTable {
  id: string;
  incident_id: string;
  camera: string;
  url: string;
  start: string;
  end: string;
  sha256: string;
}

export interface SiteStatesTable {
  site: string;
  armed: number;
  mode: string;
  changed_at: string;
  event_key: string | null;
}

export interface IncidentUnitsTable {
  incident_id: string;
  unit: string;
  dispatched_at: string;
  dispatched_by: string;
  arrived_at: string | null;
}

export interface IncidentNotesTable {
  seq: Generated<number>;
  incident_id: string;
  by_user: string;
  at: string;
  text: string;
}

/** One open or cleared fault of a maintenance ticket: a device's trouble, cleared by its restore. */
export interface IncidentFaultsTable {
  incident_id: string;
  device: string;
  fault: string;
  opened_at: string;
  event_key: string;
  cleared_at: string | null;
  cleared_by: string | null;
}

/** Distinct (device, zone, type) of an incident's events: what correlation needs, whatever its size. */
export interface IncidentZonesTable {
  incident_id: string;
  device: string;
  zone: string;
  type: string;
}

/** Decide once, tell everyone later: one row per decision, read by each sink at its own pace. */
export interface OutboxTable {
  seq: Generated<number>;
  at: string;
  topic: string;
  incident_id: string | null;
  site: string | null;
  jurisdiction: string | null;
  payload: string;
}

export interface OutboxCursorsTable {
  sink: string;
  seq: number;
  updated_at: string;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  role: string;
  scope: string;
  display_name: string | null;
  created_at: string;
  disabled: number;
  /** Migration 80. */
  disabled_at: string | null;
  password_changed_at: string | null;
  last_login_at: string | null;
  /** Migration 116: usernameKey(username), unique; NULL only for a later twin stored before it. */
  username_key: string | null;
}

export interface SessionsTable {
  token_hash: string;
  user_id: number;
  created_at: string;
  expires_at: string;
  /** Migration 80: the public reference sockets and media URLs are bound to. */
  ref: string | null;
  address: string | null;
}

/** Migration 80: secrets every node shares (the media-URL key). */
export interface AuthKeysTable {
  name: string;
  secret: string;
  created_at: string;
}

export interface AuditLogTable {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export interface WebhookOutboxTable {
  id: string;
  hook: string;
  event: string;
  incident_id: string | null;
  site: string | null;
  jurisdiction: string | null;
  body: string;
  state: string;
  attempts: number;
  created_at: string;
  next_attempt_at: string;
  last_attempt_at: string | null;
  last_error: string | null;
  finished_at: string | null;
}

export interface PanelStateTable {
  panel_id: string;
  last_seen: string | null;
  online: number;
  comm_lost_since: string | null;
  armed: string | null;
  battery: number | null;
  mains: number | null;
  updated_at: string;
  supervised_since: string | null;
}

export interface PanelCommandsTable {
  request_id: string;
  panel_id: string;
  command: string;
  state: string;
  requested_by: string;
  requested_at: string;
  replied_at: string | null;
  error: string | null;
  expires_at: string | null;
}

export interface DB {
  events: EventsTable;
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  transitions: TransitionsTable;
  escalations: EscalationsTable;
  clips: ClipsTable;
  site_states: SiteStatesTable;
  incident_units: IncidentUnitsTable;
  incident_notes: IncidentNotesTable;
  incident_faults: IncidentFaultsTable;
  incident_zones: IncidentZonesTable;
  outbox: OutboxTable;
  outbox_cursors: OutboxCursorsTable;
  users: UsersTable;
  sessions: SessionsTable;
  auth_keys: AuthKeysTable;
  audit_log: AuditLogTable;
  webhook_outbox: WebhookOutboxTable;
  panel_state: PanelStateTable;
  panel_commands: PanelCommandsTable;
}
