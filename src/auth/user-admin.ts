import type { AuditLog } from '../audit/audit-log.js';
import type { Directory } from '../core/directory.js';
import { HttpError } from '../errors.js';
import type { User } from '../store/repositories.js';
import type { AuthService } from './auth-service.js';
import type { UserSummary } from './auth-store.js';

export type UserAction = 'disable' | 'enable' | 'passwd' | 'revoke';

/** Who acts: a console admin (limited to their subtree) or the command line on the server (everyone). */
export type Actor = { kind: 'user'; user: User } | { kind: 'cli' };

export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 256;

/**
 * `sharpeyes user list|disable|enable|passwd|revoke` and the admin users page: one implementation,
 * every change audited (`user.disable`, `user.enable`, `user.passwd`, `user.revoke`). A console admin
 * manages the users scoped inside their own subtree (a site user through the site's jurisdiction),
 * never themselves; a user outside it is a 404, as if it did not exist.
 */
export class UserAdmin {
  constructor(
    private readonly auth: AuthService,
    private readonly audit: AuditLog,
    private readonly dir: Directory | undefined,
  ) {}

  private manages(actor: Actor, u: User): boolean {
    if (actor.kind === 'cli') return true;
    const me = actor.user;
    if (me.role !== 'admin' || !this.dir) return false;
    const node = u.role === 'site' ? this.dir.site(u.scope)?.jurisdiction : u.scope;
    return node !== undefined && this.dir.tree.within(node, me.scope);
  }

  private actorName(actor: Actor): string {
    return actor.kind === 'cli' ? 'cli' : actor.user.username;
  }

  async list(actor: Actor): Promise<UserSummary[]> {
    const all = await this.auth.store.listUsers(new Date().toISOString());
    return all.filter((u) => this.manages(actor, u));
  }

  /** The user `actor` manages by that name; 404 whether missing or outside their subtree. */
  async target(actor: Actor, username: string): Promise<User> {
    const found = await this.auth.store.userWithHash(username);
    if (!found || !this.manages(actor, found))
      throw new HttpError(404, 'not_found', `user ${username.slice(0, 64)} does not exist`);
    const { passwordHash: _omit, passwordChangedAt: _changed, ...user } = found;
    return user;
  }

  /** Applies `action`; returns the user after it and how many sessions were ended. */
  async apply(
    actor: Actor,
    username: string,
    action: UserAction,
    opts: { password?: string; reason?: string } = {},
  ): Promise<{ user: UserSummary; sessionsEnded: number }> {
    const u = await this.target(actor, username);
    if (actor.kind === 'user' && actor.user.id === u.id && (action === 'disable' || action === 'revoke'))
      throw new HttpError(409, 'own_account', `you cannot ${action} your own account; ask another admin`);
    let ended = 0;
    switch (action) {
      case 'disable':
        ended = await this.auth.setDisabled(u, true);
        break;
      case 'enable':
        await this.auth.setDisabled(u, false);
        break;
      case 'revoke':
        ended = await this.auth.revokeSessions(u);
        break;
      case 'passwd': {
        const pw = opts.password ?? '';
        if (pw.length < MIN_PASSWORD || pw.length > MAX_PASSWORD)
          throw new HttpError(
            400,
            'weak_password',
            `a password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters long`,
          );
        if (pw.toLowerCase() === u.username.toLowerCase())
          throw new HttpError(400, 'weak_password', 'a password must not be the username');
        ended = await this.auth.setPassword(u, pw);
        break;
      }
    }
    await this.audit.append({
      actor: this.actorName(actor),
      action: `user.${action}`,
      target: `user:${u.username}`,
      detail: { sessionsEnded: ended, ...(opts.reason ? { reason: opts.reason } : {}) },
    });
    const after = (await this.auth.store.listUsers(new Date().toISOString())).find((x) => x.id === u.id);
    if (!after) throw new HttpError(404, 'not_found', `user ${u.username} does not exist`);
    return { user: after, sessionsEnded: ended };
  }
}
