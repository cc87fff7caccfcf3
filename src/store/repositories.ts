import type { CoreRepository } from '../core/core-repository.js';
import type { NormalizedEvent } from '../core/events.js';
import type { Incident, IncidentState, Priority } from '../core/incident-types.js';

/**
 * What the core needs from storage. Methods are async so a PostgreSQL implementation can stand in
 * for SQLite without touching the core; each method is one transaction.
 */
export interface EventRepository {
  /** Inserts the events that are new; returns, per input, whether it was new (false: a redelivery). */
  insertMany(events: readonly NormalizedEvent[]): Promise<boolean[]>;
  get(key: string): Promise<NormalizedEvent | undefined>;
  /** Events committed but not yet correlated (a crash between commit and correlation). */
  uncorrelated(limit: number): Promise<NormalizedEvent[]>;
  markCorrelated(keys: readonly string[], at: string): Promise<void>;
  listForSite(site: string, limit: number): Promise<NormalizedEvent[]>;
  /** Incident the event was attached to, if any. */
  incidentOf(key: string): Promise<string | undefined>;
}

export interface NewIncident {
  id: string;
  site: string;
  jurisdiction: string;
  priority: Priority;
  rule: string;
  kind: Incident['kind'];
  confirmed: boolean;
  openedAt: string;
  firstEvent: string;
  by: string;
}

export interface IncidentFilter {
  /** Only incidents whose jurisdiction is one of these nodes. */
  jurisdictions?: readonly string[];
  states?: readonly IncidentState[];
  site?: string;
  since?: string;
  until?: string;
  /** Issue 4: priority, kind and paging. */
  priority?: number;
  kind?: Incident['kind'];
  offset?: number;
  limit?: number;
}

export interface IncidentRepository {
  /** Also marks `firstEvent` correlated, in the same transaction. */
  create(incident: NewIncident): Promise<Incident>;
  get(id: string): Promise<Incident | undefined>;
  list(filter: IncidentFilter): Promise<Incident[]>;
  /** The newest open incident of the given kind at a site, if any. */
  findOpen(site: string, kind: Incident['kind']): Promise<Incident | undefined>;
  /** Links the event and marks it correlated, in one transaction. */
  attachEvent(id: string, eventKey: string, at: string): Promise<void>;
  /**
   * Moves the incident from `from` to `to` if it is still in `from` (compare-and-set); returns false
   * when another writer moved it first.
   */
  transition(
    id: string,
    from: IncidentState,
    to: IncidentState,
    by: string,
    at: string,
    note?: string,
  ): Promise<boolean>;
  setPriority(id: string, priority: Priority, confirmed: boolean, at: string): Promise<void>;
}

export type Role = 'admin' | 'supervisor' | 'operator' | 'investigator' | 'site';
export const ROLES: readonly Role[] = ['admin', 'supervisor', 'operator', 'investigator', 'site'];

export interface User {
  id: number;
  username: string;
  role: Role;
  /** Jurisdiction node (or, for role `site`, a site id) the user sees the subtree of. */
  scope: string;
  displayName: string | null;
  disabled: boolean;
}

export interface NewUser {
  username: string;
  passwordHash: string;
  role: Role;
  scope: string;
  displayName?: string | null;
  /** Creation time (ISO); now by default. */
  at?: string;
}

export interface UserRepository {
  create(user: NewUser): Promise<User>;
  /**
   * Creates the user unless the username is taken, by anyone at any instant (the unique index decides
   * between two admins adding the same name at once): undefined then.
   */
  createIfNew(user: NewUser): Promise<User | undefined>;
  findByUsername(username: string): Promise<(User & { passwordHash: string }) | undefined>;
  get(id: number): Promise<User | undefined>;
  count(): Promise<number>;
}

export interface SessionRepository {
  create(tokenHash: string, userId: number, at: string, expiresAt: string): Promise<void>;
  /** The user of a session that has not expired at `now`. */
  resolve(tokenHash: string, now: string): Promise<User | undefined>;
  delete(tokenHash: string): Promise<void>;
  purgeExpired(now: string): Promise<number>;
}

export interface Store {
  readonly events: EventRepository;
  readonly incidents: IncidentRepository;
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  /** Site state, confirmations, units and notes of the event core. */
  readonly core: CoreRepository;
  close(): Promise<void>;
}
