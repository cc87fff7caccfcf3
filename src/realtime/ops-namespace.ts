import type { Namespace } from 'socket.io';
import type { AuthService } from '../auth/auth-service.js';
import type { Bus } from '../bus.js';
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
  return [...dir.tree.ancestors(target.jurisdiction).map(jurisdictionRoom), siteRoom(target.site)];
}

export function roomOfUser(user: User): string {
  return user.role === 'site' ? siteRoom(user.scope) : jurisdictionRoom(user.scope);
}

/** Socket.IO `/ops`: `auth: {token}`, one room per scope, `incident:new` and `incident:update`. */
export function attachOpsNamespace(
  ops: Namespace,
  deps: {
    auth: AuthService;
    bus: Bus;
    dir: Directory;
    log: Logger;
    /** The `incident.extend` hook (issue 9 `verification`), so the socket shows what REST shows. */
    extend?: (inc: Incident) => Incident;
  },
): () => void {
  ops.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    deps.auth
      .resolve(typeof token === 'string' ? token : undefined)
      .then((user) => {
        if (!user) return next(new Error('unauthenticated: a valid token is required in auth.token'));
        socket.data['user'] = user;
        next();
      })
      .catch((err: unknown) => next(err instanceof Error ? err : new Error(String(err))));
  });
  ops.on('connection', (socket) => {
    const user = socket.data['user'] as User;
    void socket.join(roomOfUser(user));
  });
  // Extended once per emitted incident (one indexed read), not once per room or socket.
  const send = (event: 'incident:new' | 'incident:update', inc: Incident, extra?: unknown) => {
    let out = inc;
    try {
      out = deps.extend ? deps.extend(inc) : inc;
    } catch (err) {
      // The incident itself must still reach the desks; only its annotation is missing.
      deps.log.error({ err, incident: inc.id }, 'realtime: incident.extend failed; sent without it');
    }
    ops.to(roomsFor(deps.dir, inc)).emit(event, out, extra);
  };
  const offNew = deps.bus.on('incident:new', (inc) => send('incident:new', inc));
  const offUpdate = deps.bus.on('incident:update', (inc, change) => send('incident:update', inc, change));
  return () => {
    offNew();
    offUpdate();
  };
}
