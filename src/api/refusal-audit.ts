import type { Request } from 'express';
import type { AuditLog } from '../audit/audit-log.js';
import type { Access } from '../auth/access.js';
import { managesUser } from '../auth/user-place.js';
import type { Directory } from '../core/directory.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { User } from '../store/repositories.js';
import { BoundedLimiter } from '../util/bounded-limiter.js';

export interface RefusalAuditDeps {
  audit: AuditLog;
  access: Access;
  dir: Directory;
  /** Where an incident id is placed (site, jurisdiction), for "exists but out of scope". */
  incidentPlace(id: string): Promise<{ site: string; jurisdiction: string } | undefined>;
  /** A console user's role and scope by username, for "exists but outside the admin's area". */
  userPlace(username: string): Promise<Pick<User, 'role' | 'scope'> | undefined>;
  log: Logger;
  metrics: Metrics;
  now?: () => number;
}

const INCIDENT_ID = /^INC-\d{8}-[0-9A-F]{8}$/;

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a malformed escape names nothing we have
  }
}

/**
 * Puts refused requests in the audit log as `access.denied`: every 401 (a missing, expired, forged or
 * URL-borne token), every 403, and a 404 that hides a camera, site, panel or incident which exists
 * but lies outside the caller's scope, a console user of another area that an admin acted on
 * (`/api/users/:username…`), or a site or jurisdiction node of another area named as the body's
 * `scope` (a user an admin would place there); the caller sees "does not exist", the audit
 * log says who tried what. Bounded: one row per (who, what, why) a minute and 600 a minute in all, each saying
 * how many it stands for, so an intruder cannot flood the hash chain.
 */
export class RefusalAudit {
  private readonly limiter: BoundedLimiter;
  private readonly denied;

  constructor(private readonly deps: RefusalAuditDeps) {
    this.limiter = new BoundedLimiter({
      intervalMs: 60_000,
      maxKeys: 10_000,
      overall: 600,
      ...(deps.now ? { now: deps.now } : {}),
    });
    this.denied = deps.metrics.counter(
      'sharpeyes_access_denied_total',
      'Requests refused for who sent them',
      ['kind'],
    );
  }

  /** Called by the API error handler with every error answer. */
  record(req: Request, status: number, code: string): void {
    if (status !== 401 && status !== 403 && status !== 404) return;
    const user = req.user;
    if (status === 404) {
      if (!user || code !== 'not_found') return;
      void this.outOfScope(user, req)
        .then((what) => {
          if (what) this.write(req, user, status, code, what, 'scope');
        })
        .catch((err: unknown) => this.deps.log.warn({ err }, 'audit: checking a 404 for scope failed'));
      return;
    }
    this.write(req, user, status, code, undefined, status === 401 ? 'unauthenticated' : 'forbidden');
  }

  /** A route-level refusal that never reached the error handler (a WebSocket upgrade). */
  recordUpgrade(
    info: { path: string; address: string | undefined; user?: User },
    status: number,
    code: string,
    what?: string,
  ): void {
    const kind = status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'scope';
    void this.append(
      info.user?.username ?? 'anonymous',
      info.address,
      'GET',
      info.path,
      status,
      code,
      what,
      kind,
    );
  }

  private write(
    req: Request,
    user: User | undefined,
    status: number,
    code: string,
    what: string | undefined,
    kind: string,
  ): void {
    void this.append(
      user?.username ?? 'anonymous',
      req.ip,
      req.method,
      req.originalUrl,
      status,
      code,
      what,
      kind,
    );
  }

  private async append(
    actor: string,
    address: string | undefined,
    method: string,
    url: string,
    status: number,
    code: string,
    what: string | undefined,
    kind: string,
  ): Promise<void> {
    this.denied.inc({ kind });
    // The query may hold a (refused) token: only the path is kept.
    const path = url.split('?')[0]!.slice(0, 200);
    const key = `${actor}|${actor === 'anonymous' ? (address ?? '') : ''}|${code}|${what ?? path}`;
    const d = this.limiter.take(key);
    if (!d.allowed) return;
    try {
      await this.deps.audit.append({
        actor,
        action: 'access.denied',
        target: what ?? `route:${method} ${path}`,
        detail: {
          status,
          code,
          method,
          path,
          address: address ?? null,
          ...(d.suppressed > 0 ? { alsoRefusedSinceLastRow: d.suppressed } : {}),
        },
      });
    } catch (err) {
      // The refusal stands either way; only its audit row is missing.
      this.deps.log.error({ err }, 'audit: could not write an access.denied row');
    }
  }

  /** The first thing the request names (path segment or query value) that exists but the user may not see. */
  private async outOfScope(user: User, req: Request): Promise<string | undefined> {
    const { dir, access } = this.deps;
    const url = new URL(req.originalUrl, 'http://x');
    // An admin's action on a user (edit, disable, enable, revoke, password): the user by name.
    const named = /^\/api\/users\/([^/]+)/.exec(url.pathname)?.[1];
    if (named !== undefined) {
      const username = decoded(named);
      const target = username.length <= 64 ? await this.deps.userPlace(username) : undefined;
      if (target && !managesUser(dir, user, target)) return `user:${username}`;
    }
    const names = [...url.pathname.split('/').map(decoded), ...url.searchParams.values()].filter(
      (s) => s.length > 0 && s.length <= 64,
    );
    for (const n of names) {
      if (dir.camera(n) && !access.canSeeCamera(user, n)) return `camera:${n}`;
      if (dir.site(n) && !access.canSeeSite(user, n)) return `site:${n}`;
      const p = dir.panel(n);
      if (p && !access.canSeeSite(user, p.site)) return `panel:${n}`;
      if (INCIDENT_ID.test(n)) {
        const place = await this.deps.incidentPlace(n);
        if (place && !access.canSeeIncident(user, place)) return `incident:${n}`;
      }
    }
    // The scope an admin would give a user (POST/PATCH /api/users): a site or a node of another area.
    const scope = (req.body as { scope?: unknown } | undefined)?.scope;
    if (typeof scope === 'string' && scope.length > 0 && scope.length <= 64) {
      if (dir.site(scope) && !access.canSeeSite(user, scope)) return `site:${scope}`;
      if (dir.tree.has(scope) && !access.canSeeJurisdiction(user, scope)) return `jurisdiction:${scope}`;
    }
    return undefined;
  }
}
