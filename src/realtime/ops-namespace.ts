import type { Namespace } from 'socket.io';
import type { RefusalAudit } from '../api/refusal-audit.js';
import type { AuthService, AuthSession } from '../auth/auth-service.js';
import { asSeenBySite, changeForSite, incidentForSite, withPeople } from '../auth/people-names.js';
import type { Bus, IncidentChange } from '../bus.js';
import type { Directory } from '../core/directory.js';
import type { Incident } from '../core/incident-types.js';
import type { Logger } from '../log.js';
import type { User } from '../store/repositories.js';

export const jurisdictionRoom = (node: string) => `j:${node}`;
export const siteRoom = (site: string) => `s:${site}`;

/**
 * Rooms an incident goes to: its node and every ancestor (a user scoped at a node joins that node's
 * room and so hears its whole subtree), and the site's own room for site users.
 */
export function roomsFor(dir: Directory, target: { site: string; jurisdiction: string }): string[] {
  return [...staffRoomsFor(dir, target), siteRoom(target.site)];
}

/** The jurisdiction rooms of `roomsFor`: the desks', whose users are staff (never role `site`). */
export function staffRoomsFor(dir: Directory, target: { jurisdiction: string }): string[] {
  return dir.tree.ancestors(target.jurisdiction).map(jurisdictionRoom);
}

export function roomOfUser(user: User): string {
  return user.role === 'site' ? siteRoom(user.scope) : jurisdictionRoom(user.scope);
}

/** What a client hears just before the server closes its socket because the session ended. */
export const SESSION_END_EVENT = 'session:end';

/**
 * Socket.IO `/ops`: `auth: {token}`, one room per scope, `incident:new` and `incident:update`.
 * Each socket is watched by its session (src/auth/session-watch.ts): a logout, a disabled user, a
 * revoke, a password change or the session's expiry sends `session:end {reason}` and disconnects it
 * within seconds, on this node at once and on others at their next store re-check.
 */
export function attachOpsNamespace(
  ops: Namespace,
  deps: {
    auth: AuthService;
    bus: Bus;
    dir: Directory;
    log: Logger;
    /** The `incident.extend` hook (issue 9 `verification`), so the socket shows what REST shows. */
    extend?: (inc: Incident) => Incident | Promise<Incident>;
    /** Issue 15: refused handshakes are audited as access.denied. */
    refusals?: RefusalAudit;
  },
): () => void {
  ops.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    deps.auth
      .resolveSession(typeof token === 'string' ? token : undefined)
      .then((session) => {
        if (!session) {
          deps.refusals?.recordUpgrade(
            { path: '/ops', address: socket.handshake.address },
            401,
            token === undefined ? 'unauthenticated' : 'session_ended',
          );
          return next(new Error('unauthenticated: a valid token is required in auth.token'));
        }
        socket.data['user'] = session.user;
        socket.data['session'] = session;
        next();
      })
      .catch((err: unknown) => next(err instanceof Error ? err : new Error(String(err))));
  });
  ops.on('connection', (socket) => {
    const session = socket.data['session'] as AuthSession;
    const user = session.user;
    const unwatch = deps.auth.watch.add({
      ref: session.ref,
      userId: user.id,
      expiresAtMs: Date.parse(session.expiresAt),
      close: (reason) => {
        socket.emit(SESSION_END_EVENT, { reason });
        socket.disconnect(true);
      },
    });
    socket.once('disconnect', unwatch);
    void socket.join(roomOfUser(user));
  });
  // Extended once per emitted incident (one indexed read), not once per room or socket; not at all
  // when no socket here is in its rooms (socket.io would encode the packet before it looks for
  // sockets): a site's owner is rarely connected, and a node of a city may have no desk at all.
  const send = async (event: 'incident:new' | 'incident:update', inc: Incident, extra?: IncidentChange) => {
    const rooms = ops.adapter.rooms;
    const desks = staffRoomsFor(deps.dir, inc).filter((r) => rooms.get(r)?.size);
    const site = siteRoom(inc.site);
    const owners = (rooms.get(site)?.size ?? 0) > 0;
    if (desks.length === 0 && !owners) return;
    let out = inc;
    try {
      out = deps.extend ? await deps.extend(inc) : inc;
    } catch (err) {
      // The incident itself must still reach the desks; only its annotation is missing.
      deps.log.error({ err, incident: inc.id }, 'realtime: incident.extend failed; sent without it');
    }
    // Local: every node relays the shared outbox to its own sockets (with the Redis adapter a
    // broadcast would reach each desk once per node). The desks hear who acted by name (`people`,
    // from memory); the site's own room hears the incident without it, each login as the name of
    // the acting user's node. A socket is in one room only.
    if (desks.length > 0) ops.local.to(desks).emit(event, withPeople(deps.auth.people, out), extra);
    // A desk's note is the police's own: the site's room hears nothing of it (its view has no notes).
    if (owners && !(extra?.kind === 'annotation' && extra.what === 'note'))
      ops.local
        .to(site)
        .emit(
          event,
          incidentForSite(out, asSite),
          extra === undefined ? extra : changeForSite(extra, asSite),
        );
  };
  const asSite = asSeenBySite(deps.auth.people, (id) => deps.dir.tree.get(id)?.name);
  // The annotations are read asynchronously (issue 17); pushes still leave in the order they came.
  let chain: Promise<void> = Promise.resolve();
  const inOrder = (fn: () => Promise<void>) => {
    chain = chain.then(fn);
  };
  const offNew = deps.bus.on('incident:new', (inc) => inOrder(() => send('incident:new', inc)));
  const offUpdate = deps.bus.on('incident:update', (inc, change) =>
    inOrder(() => send('incident:update', inc, change)),
  );
  return () => {
    offNew();
    offUpdate();
  };
}
