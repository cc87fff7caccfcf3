import type { AuditLog } from '../audit/audit-log.js';
import type { Directory } from '../core/directory.js';
import { HttpError, SharpeyesError } from '../errors.js';
import type { Role, User } from '../store/repositories.js';
import { usernameKey } from '../store/username-key.js';
import type { AuthService } from './auth-service.js';
import type { UserSummary } from './auth-store.js';
import { managesUser, scopeMissing } from './user-place.js';
import { searchUsers, type UserPage, type UserQuery } from './user-search.js';

export type UserAction = 'disable' | 'enable' | 'passwd' | 'revoke';

/** Who acts: a console admin (limited to their subtree) or the command line on the server (everyone). */
export type Actor = { kind: 'user'; user: User } | { kind: 'cli' };

export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 256;

/** A password the console and the command line accept for `username`; 400 weak_password otherwise. */
export function checkPassword(password: string, username: string): void {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD)
    throw new HttpError(
      400,
      'weak_password',
      `a password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters long`,
    );
  // The username as its identity (case and width folded): ＷＡＮＧ-1234 is no secret for wang-1234.
  if (usernameKey(password) === usernameKey(username))
    throw new HttpError(400, 'weak_password', 'a password must not be the username');
}

/**
 * What is wrong with a new username, if anything: it is what a person types at the login and the
 * console puts in a path. No spaces (a trailing one is a login nobody can repeat), slashes, control or
 * invisible characters (a zero-width space makes a second "admin"), not `.` or `..`. The API and
 * `user add` both ask.
 */
export function usernameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 64) return 'a username is 1 to 64 characters';
  if (!/^[^\s/\\\p{Cc}\p{Cf}]+$/u.test(name) || name === '.' || name === '..')
    return 'a username may not hold spaces, slashes, control or invisible characters';
  return undefined;
}

/** A new user as an admin gives it (`POST /api/users`). */
export interface NewUser {
  username: string;
  password: string;
  role: Role;
  scope: string;
  displayName?: string | undefined;
}

/** What an admin changes of a user (`PATCH /api/users/:username`); absent = unchanged, '' = no display name. */
export interface UserChange {
  role?: Role | undefined;
  scope?: string | undefined;
  displayName?: string | null | undefined;
  reason?: string | undefined;
}

/**
 * `sharpeyes user add|list|disable|enable|passwd|revoke` and the admin users page: one implementation,
 * every change audited (`user.add`, `user.update`, `user.disable`, `user.enable`, `user.passwd`,
 * `user.revoke`). A console admin manages the users scoped inside their own subtree (a site user
 * through the site's jurisdiction), never their own access; a user outside it is a 404, as if it did
 * not exist, and so is a scope outside it that they would give a user. A user whose site or node left
 * the config belongs to the admins of a root of the tree (src/auth/user-place.ts).
 */
export class UserAdmin {
  constructor(
    private readonly auth: AuthService,
    private readonly audit: AuditLog,
    private readonly dir: Directory | undefined,
  ) {}

  private manages(actor: Actor, u: User): boolean {
    if (actor.kind === 'cli') return true;
    return this.dir !== undefined && managesUser(this.dir, actor.user, u);
  }

  private actorName(actor: Actor): string {
    return actor.kind === 'cli' ? 'cli' : actor.user.username;
  }

  async list(actor: Actor): Promise<UserSummary[]> {
    const all = await this.auth.store.listUsers(new Date().toISOString());
    return all.filter((u) => this.manages(actor, u));
  }

  /** The admin users page: one page of the users `me` manages that match `query`. */
  async search(me: User, query: UserQuery): Promise<UserPage> {
    if (!this.dir) throw new SharpeyesError('auth', 'searching users needs the jurisdiction tree and sites');
    return searchUsers(this.auth.store, this.dir, me, query, new Date().toISOString());
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
        checkPassword(pw, u.username);
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
    return { user: await this.summary(u), sessionsEnded: ended };
  }

  /** The user as the users page lists them, now (`scopeMissing` where the config is at hand). */
  private async summary(u: User): Promise<UserSummary & { scopeMissing?: boolean }> {
    const [after] = await this.auth.store.listUsers(new Date().toISOString(), u.id);
    if (!after) throw new HttpError(404, 'not_found', `user ${u.username} does not exist`);
    return this.dir ? { ...after, scopeMissing: scopeMissing(this.dir, after) } : after;
  }

  /**
   * Checks that `actor` may give a user this role and scope: a site id for role `site`, a
   * jurisdiction node for the others (as `user add` checks), inside the actor's subtree. A scope that
   * does not exist and one outside the subtree get the same 404, as everywhere else; a site where a
   * node is needed (or the reverse) that the actor may see is a 400 `bad_scope` naming the mistake.
   */
  private checkPlace(actor: Actor, role: Role, scope: string): void {
    const dir = this.dir;
    if (!dir) throw new SharpeyesError('auth', 'placing a user needs the jurisdiction tree and sites');
    const sees = (node: string | undefined) =>
      node !== undefined && (actor.kind === 'cli' || dir.tree.within(node, actor.user.scope));
    const site = dir.site(scope);
    const node = dir.tree.has(scope) ? scope : undefined;
    if (role === 'site') {
      if (sees(site?.jurisdiction)) return;
      if (sees(node))
        throw new HttpError(
          400,
          'bad_scope',
          `a site user's scope is a site; ${scope} is a jurisdiction node`,
        );
      throw new HttpError(404, 'not_found', `site ${scope.slice(0, 64)} does not exist`);
    }
    if (sees(node)) return;
    if (sees(site?.jurisdiction))
      throw new HttpError(
        400,
        'bad_scope',
        `a ${role}'s scope is a jurisdiction node; ${scope} is a site (only role site is scoped to a site)`,
      );
    throw new HttpError(404, 'not_found', `jurisdiction ${scope.slice(0, 64)} does not exist`);
  }

  /**
   * 409 user_exists when the name is taken, also in another case or width ("Wang", "wang" and "ｗａｎｇ"
   * read as one person; src/store/username-key.ts), naming the stored one.
   */
  private async checkFree(username: string): Promise<void> {
    const taken = await this.auth.store.usernameLike(username);
    if (taken !== undefined)
      throw new HttpError(
        409,
        'user_exists',
        taken === username
          ? `user ${username} already exists`
          : `user ${taken} already exists (usernames may not differ only in case or width)`,
      );
  }

  /** Creates a user in the actor's subtree (`user.add`, never the password in the audit row). */
  async create(actor: Actor, u: NewUser): Promise<UserSummary> {
    this.checkPlace(actor, u.role, u.scope);
    checkPassword(u.password, u.username);
    await this.checkFree(u.username);
    const created = await this.auth.createUserIfNew({
      username: u.username,
      password: u.password,
      role: u.role,
      scope: u.scope,
      displayName: u.displayName ? u.displayName : null,
    });
    // Another admin took the name between the check and the insert.
    if (!created) throw new HttpError(409, 'user_exists', `user ${u.username} already exists`);
    await this.audit.append({
      actor: this.actorName(actor),
      action: 'user.add',
      target: `user:${created.username}`,
      detail: {
        role: created.role,
        scope: created.scope,
        ...(created.displayName ? { displayName: created.displayName } : {}),
      },
    });
    return this.summary(created);
  }

  /**
   * Changes a user's role, scope or display name (`user.update`, with before and after of what
   * changed). A new role or scope ends the user's sessions everywhere; a display name does not. An
   * admin may rename themselves but not change their own role or scope (409 own_account): the last
   * admin of a city would otherwise be one click from locking everyone out.
   */
  async update(
    actor: Actor,
    username: string,
    change: UserChange,
  ): Promise<{ user: UserSummary; sessionsEnded: number }> {
    const u = await this.target(actor, username);
    const next = {
      role: change.role ?? u.role,
      scope: change.scope ?? u.scope,
      displayName: change.displayName === undefined ? u.displayName : change.displayName || null,
    };
    const changed = (['role', 'scope', 'displayName'] as const).filter((k) => next[k] !== u[k]);
    if (changed.length === 0) return { user: await this.summary(u), sessionsEnded: 0 };
    const reseat = changed.includes('role') || changed.includes('scope');
    if (reseat && actor.kind === 'user' && actor.user.id === u.id)
      throw new HttpError(409, 'own_account', 'you cannot change your own role or scope; ask another admin');
    if (reseat) this.checkPlace(actor, next.role, next.scope);
    const ended = await this.auth.updateUser(u, next);
    if (ended === undefined)
      throw new HttpError(
        409,
        'user_changed',
        `user ${u.username} was changed by someone else meanwhile; look again and retry`,
      );
    await this.audit.append({
      actor: this.actorName(actor),
      action: 'user.update',
      target: `user:${u.username}`,
      detail: {
        before: Object.fromEntries(changed.map((k) => [k, u[k]])),
        after: Object.fromEntries(changed.map((k) => [k, next[k]])),
        sessionsEnded: ended,
        ...(change.reason ? { reason: change.reason } : {}),
      },
    });
    return { user: await this.summary(u), sessionsEnded: ended };
  }
}
