/**
 * Kysely types of the supervision tables (migrations 090-093), added to the one `DB` schema the way
 * src/cameras/camera-state-store.ts adds its table. Times are epoch milliseconds unless named `_at`.
 */
declare module '../store/db-types.js' {
  interface DB {
    report_incidents: ReportIncidentsTable;
    report_dispatches: ReportDispatchesTable;
    report_outages: ReportOutagesTable;
    report_tree: ReportTreeTable;
    report_sites: ReportSitesTable;
    report_state: ReportStateTable;
    rating_months: RatingMonthsTable;
    rating_history: RatingHistoryTable;
    notices: NoticesTable;
    notice_targets: NoticeTargetsTable;
  }
}

/** One incident as reports see it: its opening type, outcome and the times of each answer. */
export interface ReportIncidentsTable {
  incident_id: string;
  site: string;
  jurisdiction: string;
  kind: string;
  /** Type of the event that opened it. */
  type: string;
  rule: string;
  priority: number;
  state: string;
  confirmed: number;
  opened_ms: number;
  /** `YYYY-MM-DD` of the opening in the rating zone. */
  local_day: string;
  local_hour: number;
  ack_ms: number | null;
  /** First unit sent, or the move to `dispatched`. */
  dispatch_ms: number | null;
  /** First unit on scene, or the move to `on_scene`. */
  arrive_ms: number | null;
  closed_ms: number | null;
  /** Escalation steps taken (each one a deadline nobody acknowledged by). */
  escalations: number;
  escalated_ms: number | null;
  escalated_to: string | null;
  updated_at: string;
  /** How it was closed (src/core/close-outcomes.ts, migration 093); null while open or closed uncoded. */
  outcome: string | null;
}

export interface ReportDispatchesTable {
  incident_id: string;
  unit: string;
  site: string;
  jurisdiction: string;
  opened_ms: number;
  dispatched_ms: number;
  arrived_ms: number | null;
  closed_ms: number | null;
}

/** A panel's lost communication or a camera's lost video, from the loss to its restore. */
export interface ReportOutagesTable {
  device: string;
  device_kind: string;
  site: string;
  jurisdiction: string;
  start_ms: number;
  end_ms: number | null;
  start_event: string;
  end_event: string | null;
}

export interface ReportTreeTable {
  ancestor: string;
  node: string;
}

export interface ReportSitesTable {
  site: string;
  kind: string;
  jurisdiction: string;
  /** When the service first had the site (or its first incident, if earlier). */
  first_seen_ms: number;
  /** 1 while the site is in the configuration. */
  configured: number;
}

export interface ReportStateTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface RatingMonthsTable {
  month: string;
  timezone: string;
  rules_hash: string;
  sites: number;
  computed_at: string;
}

export interface RatingHistoryTable {
  month: string;
  site: string;
  jurisdiction: string;
  kind: string;
  rating: string;
  previous: string | null;
  red_streak: number;
  alert_streak: number;
  flagged: number;
  partial: number;
  /** When a site first seen in the month was first seen (null for a whole month). */
  since_ms: number | null;
  /** JSON: measure → value. */
  measures: string;
  /** JSON: [{measure, value, threshold, level}]. */
  reasons: string;
  computed_at: string;
}

export interface NoticesTable {
  id: string;
  sent_by: string;
  sender_scope: string;
  sent_at: string;
  sent_ms: number;
  text: string;
  receipt_minutes: number;
  list_minutes: number;
  plate: string | null;
  plate_until_ms: number | null;
  photo: string | null;
}

export interface NoticeTargetsTable {
  notice_id: string;
  node: string;
  received_at: string | null;
  received_ms: number | null;
  received_by: string | null;
  remind_due_ms: number;
  list_due_ms: number;
  reminded_ms: number | null;
  listed_ms: number | null;
  next_due_ms: number | null;
}
