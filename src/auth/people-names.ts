import type { Incident } from '../core/incident-types.js';
import type { Logger } from '../log.js';
import type { Role } from '../store/repositories.js';

/** How often the map is read again: names changed on another node or by `sharpeyes user add`. */
export const PEOPLE_REFRESH_MS = 60_000;

/** What the console needs to name a person: `people: {username: displayName}` beside their acts. */
export type People = Record<string, string>;

/**
 * Every user's display name by username, in memory, for the views that name who acted (an incident's
 * transitions, notes, plan steps, calls, holder; handover notes). Pushes of incidents are on the alarm
 * path, so a view never reads the users table: the map is read at start and every minute, and a
 * change made through this node (a user added or renamed) is written into it at once.
 */
export class PeopleNames {
  private names = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly load: () => Promise<{ username: string; displayName: string | null }[]>,
    private readonly log: Logger,
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

  /** Reads every name again (one query; a second call while one runs waits for it). */
  refresh(): Promise<void> {
    this.loading ??= this.load()
      .then((rows) => {
        const next = new Map<string, string>();
        for (const r of rows) if (r.displayName) next.set(r.username, r.displayName);
        this.names = next;
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

  /** A user added or renamed on this node: named at once, not at the next refresh. */
  set(username: string, displayName: string | null): void {
    if (displayName) this.names.set(username, displayName);
    else this.names.delete(username);
  }

  /** The display names of these usernames; a user without one (or gone) is left out: shown as the login. */
  of(usernames: Iterable<string>): People {
    const out: People = {};
    for (const u of usernames) {
      const name = this.names.get(u);
      if (name !== undefined) out[u] = name;
    }
    return out;
  }
}

/** The annotated incident as the views carry it (issue 17 adds plan, owner, calls, confirmation, forward). */
interface ActedOn {
  transitions?: readonly { by?: string }[];
  notes?: readonly { by?: string }[];
  units?: readonly { dispatchedBy?: string }[];
  owner?: { username?: string };
  plan?: { steps?: readonly { by?: string }[] };
  calls?: readonly { by?: string }[];
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
 * it without, as before: the police's people are not named to the public.
 */
export function viewFor(names: PeopleNames, role: Role, inc: Incident): Incident {
  return role === 'site' ? inc : withPeople(names, inc);
}
