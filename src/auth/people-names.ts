import type { IncidentChange } from '../bus.js';
import type { Incident } from '../core/incident-types.js';
import type { Logger } from '../log.js';
import type { Service } from '../service.js';
import type { Role } from '../store/repositories.js';

/** How often the staff's names are read again: names changed on another node or by `sharpeyes user add`. */
export const PEOPLE_REFRESH_MS = 60_000;

/** What the console needs to name a person: `people: {username: displayName}` beside their acts. */
export type People = Record<string, string>;

/** A staff user as the map holds them: the display name (null: shown as the login) and their node. */
export interface StaffName {
  username: string;
  displayName: string | null;
  /** The jurisdiction node they work at (a site user's map entry has none: they are not kept). */
  scope: string;
}

/**
 * The staff's display names by username, in memory, for the views that name who acted (an incident's
 * transitions, notes, plan steps, calls, holder; handover notes). Pushes of incidents are on the alarm
 * path, so a view never reads the users table: the staff (every role but `site`) are read at start and
 * every minute, and a change made through this node (a user added or renamed) is written in at once.
 * Only staff act on incidents; a city's thousands of shop owners are not read every minute on the alarm
 * thread (4,000 of them cost it 3 ms a minute): the few routes that name a site user (who put a site on
 * test) ask `named`, which reads those from the store.
 */
export class PeopleNames {
  private names = new Map<string, string>();
  private scopes = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly load: () => Promise<StaffName[]>,
    private readonly log: Logger,
    private readonly lookup: (
      usernames: string[],
    ) => Promise<{ username: string; displayName: string | null }[]> = async () => [],
  ) {}

  async start(refreshMs = PEOPLE_REFRESH_MS): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the staff again (one query; a second call while one runs waits for it). */
  refresh(): Promise<void> {
    this.loading ??= this.load()
      .then((rows) => {
        const names = new Map<string, string>();
        const scopes = new Map<string, string>();
        for (const r of rows) {
          if (r.displayName) names.set(r.username, r.displayName);
          scopes.set(r.username, r.scope);
        }
        this.names = names;
        this.scopes = scopes;
      })
      .catch((err: unknown) => {
        // The last map stays: a desk reads a login where a name was new, never a wrong name.
        this.log.warn({ err }, 'auth: display names not refreshed; the last ones stay');
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /** A user added or changed on this node: named at once, not at the next refresh (a site user is not kept). */
  set(user: { username: string; displayName: string | null; role: Role; scope: string }): void {
    if (user.role === 'site') {
      this.names.delete(user.username);
      this.scopes.delete(user.username);
      return;
    }
    if (user.displayName) this.names.set(user.username, user.displayName);
    else this.names.delete(user.username);
    this.scopes.set(user.username, user.scope);
  }

  /** The staff's display names among these usernames; anyone without one (or gone) is left out: shown as the login. */
  of(usernames: Iterable<string>): People {
    const out: People = {};
    for (const u of usernames) {
      const name = this.names.get(u);
      if (name !== undefined) out[u] = name;
    }
    return out;
  }

  /** As `of`, and a site user among them is read from the store (a route's answer, never a push). */
  async named(usernames: Iterable<string>): Promise<People> {
    const all = [...new Set(usernames)];
    const out = this.of(all);
    const rest = all.filter((u) => out[u] === undefined && !this.scopes.has(u) && u !== 'system');
    if (rest.length === 0) return out;
    try {
      for (const r of await this.lookup(rest)) if (r.displayName) out[r.username] = r.displayName;
    } catch (err) {
      // The staff's names are still given; the rest read as their logins.
      this.log.warn({ err }, 'auth: display names of site users not read; shown as logins');
    }
    return out;
  }

  /** The node a staff user works at, if they are staff and known to this node. */
  scopeOf(username: string): string | undefined {
    return this.scopes.get(username);
  }
}

/** The annotated incident as the views carry it (issue 17 adds plan, owner, calls, confirmation, forward). */
interface ActedOn {
  transitions?: readonly { by: string; note?: string }[];
  notes?: readonly { by?: string }[];
  units?: readonly { dispatchedBy?: string }[];
  owner?: { username?: string };
  plan?: { steps?: readonly { by?: string }[] };
  calls?: readonly { by?: string; note?: string }[];
  confirmation?: { by?: string };
  forward?: { by?: string };
}

/** Every username that acted on the incident, as its view shows them. */
export function actorsOf(inc: Incident): Set<string> {
  const v = inc as Incident & ActedOn;
  const out = new Set<string>();
  const add = (u: string | undefined) => {
    if (u) out.add(u);
  };
  for (const t of v.transitions ?? []) add(t.by);
  for (const n of v.notes ?? []) add(n.by);
  for (const u of v.units ?? []) add(u.dispatchedBy);
  for (const s of v.plan?.steps ?? []) add(s.by);
  for (const c of v.calls ?? []) add(c.by);
  add(v.owner?.username);
  add(v.confirmation?.by);
  add(v.forward?.by);
  return out;
}

/** The incident with `people`: for the desks (staff roles), who read who acted by name. */
export function withPeople(names: PeopleNames, inc: Incident): Incident {
  return { ...inc, people: names.of(actorsOf(inc)) };
}

/**
 * The incident as a user of `role` reads it: with `people` for staff; a site user (a shop owner) gets
 * it without, and with each staff login replaced by the acting node's name: the police's people are
 * not named to the public.
 */
export function viewFor(names: PeopleNames, role: Role, inc: Incident, as: AsSeenBySite): Incident {
  return role === 'site' ? incidentForSite(inc, as) : withPeople(names, inc);
}

/**
 * What a site user (a shop owner) reads where a staff member acted: the name of the node they work at
 * ("北城派出所 已确认"), not their login: logins are half of a police account's credentials and are not
 * told to the public. A login that is no staff user this node knows (`system`, the site's own users,
 * a user since removed) stays as it is.
 */
export type AsSeenBySite = (username: string) => string;

export function asSeenBySite(names: PeopleNames, nodeName: (id: string) => string | undefined): AsSeenBySite {
  return (username) => {
    const scope = names.scopeOf(username);
    return (scope !== undefined && nodeName(scope)) || username;
  };
}

/** `asSeenBySite` with the service's own names and tree (looked up at each call, as the routes do). */
export function siteViewOf(svc: Pick<Service, 'need'>): AsSeenBySite {
  return asSeenBySite(svc.need('auth').people, (id) => svc.need('dir').tree.get(id)?.name);
}

/**
 * The incident as its site's users read it: every staff login replaced by their node's name, and none
 * of the police's own working text: the desks' notes (`notes` is empty), the notes on transitions and
 * calls, and the action plan (`plan` is absent). A shop owner reads what happened and who handles it,
 * never a remark an officer wrote for colleagues ("店主疑似报假警").
 */
export function incidentForSite(inc: Incident, as: AsSeenBySite): Incident {
  const v = inc as Incident & ActedOn;
  const out: Record<string, unknown> = { ...v };
  delete out['plan'];
  if (v.transitions)
    out['transitions'] = v.transitions.map(({ note: _note, ...t }) => ({ ...t, by: as(t.by) }));
  if (v.notes) out['notes'] = [];
  if (v.units)
    out['units'] = v.units.map((u) => (u.dispatchedBy ? { ...u, dispatchedBy: as(u.dispatchedBy) } : u));
  if (v.owner?.username) out['owner'] = { ...v.owner, username: as(v.owner.username) };
  if (v.calls) out['calls'] = v.calls.map(({ note: _note, ...c }) => (c.by ? { ...c, by: as(c.by) } : c));
  const by = <T extends { by?: string }>(x: T): T => (x.by ? { ...x, by: as(x.by) } : x);
  if (v.confirmation) out['confirmation'] = by(v.confirmation);
  if (v.forward) out['forward'] = by(v.forward);
  return out as unknown as Incident;
}

/**
 * A pushed change as the site's room hears it: who made it (and whose hold it took) by node, and
 * without the desk's words (a transition's or a call's `note`).
 */
export function changeForSite(change: IncidentChange, as: AsSeenBySite): IncidentChange {
  if (change.kind !== 'transition' && change.kind !== 'annotation' && change.kind !== 'workflow')
    return change;
  const out = { ...change, ...(change.by ? { by: as(change.by) } : {}) };
  if (out.kind === 'transition') delete out.note;
  if (out.kind === 'workflow' && out.detail) {
    const d: Record<string, unknown> = { ...out.detail };
    delete d['note'];
    if (out.what === 'owner')
      for (const key of ['owner', 'from', 'released'])
        if (typeof d[key] === 'string') d[key] = as(d[key] as string);
    out.detail = d;
  }
  return out;
}
