import type { IncidentNote, IncidentUnit, Priority } from './incident-types.js';

/** Persisted arm state of a site (arm/disarm events change it; they open no incident). */
export interface SiteState {
  site: string;
  armed: boolean;
  mode: string;
  changedAt: string;
  eventKey: string | null;
}

/** An open, unacknowledged incident as the escalation maintainer sees it. */
export interface PendingEscalation {
  id: string;
  priority: Priority;
  jurisdiction: string;
  openedAt: string;
  /** Steps already recorded (their numbers). */
  steps: number[];
  /** Jurisdiction of the highest step recorded, if any. */
  lastJurisdiction: string | undefined;
}

/** One closed or open incident's timing, for the response-time and rating reports. */
export interface IncidentTiming {
  id: string;
  site: string;
  jurisdiction: string;
  kind: 'alarm' | 'maintenance';
  state: string;
  priority: number;
  openedAt: string;
  acknowledgedAt: string | null;
  closedAt: string | null;
  units: IncidentUnit[];
}

/**
 * What the event core (issue 4) stores beyond the foundation's incident repository. Async like the
 * other repositories so a PostgreSQL implementation can stand in.
 */
export interface CoreRepository {
  setSiteState(s: SiteState): Promise<void>;
  siteStates(): Promise<Map<string, SiteState>>;
  confirm(id: string, priority: Priority, rule: string, at: string): Promise<void>;
  addUnit(id: string, unit: string, by: string, at: string): Promise<void>;
  /** Marks the unit (or every unit of the incident without arrival) arrived; returns how many rows. */
  markArrived(id: string, unit: string | undefined, at: string): Promise<number>;
  addNote(id: string, note: IncidentNote): Promise<void>;
  /** Open incident each unit is committed to (dispatched, not yet closed). */
  busyUnits(): Promise<Map<string, { incident: string; arrived: boolean }>>;
  /** Incidents still `new` whose priority is one of `priorities` (those that have escalation steps). */
  unacknowledged(priorities: readonly number[]): Promise<PendingEscalation[]>;
  openCountsBySite(): Promise<Map<string, number>>;
  /** Where an incident is (for scope checks that need no full incident). */
  placeOf(id: string): Promise<{ site: string; jurisdiction: string } | undefined>;
  timings(filter: {
    since: string;
    until: string;
    jurisdictions?: readonly string[];
  }): Promise<IncidentTiming[]>;
  /** Maintenance tickets open now (any age), for ratings. */
  openMaintenance(): Promise<{ id: string; site: string; openedAt: string }[]>;
}
