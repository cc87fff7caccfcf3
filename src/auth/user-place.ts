import type { Directory } from '../core/directory.js';
import type { User } from '../store/repositories.js';

type Placed = Pick<User, 'role' | 'scope'>;

/**
 * Whether a user's scope names nothing in the config any more: a site user's site, or a node for the
 * other roles, was removed or renamed (or the scope is the other kind). Such a user can still log in
 * and sees nothing; an admin has to give them a scope again.
 */
export function scopeMissing(dir: Directory, u: Placed): boolean {
  return u.role === 'site' ? dir.site(u.scope) === undefined : !dir.tree.has(u.scope);
}

/**
 * Whether admin `me` manages user `u`: `u`'s place (a site user's site's node, else their node) lies
 * in `me`'s subtree. A user whose scope is missing lies in no subtree; the admins scoped at a root of
 * the tree manage them, so that someone sees them and can place them again (as only they read the
 * audit rows that name no place, src/api/audit-routes.ts). Shared by the users API and the refusal
 * audit, which must agree on who is "outside your area".
 */
export function managesUser(dir: Directory, me: User, u: Placed): boolean {
  if (me.role !== 'admin') return false;
  if (scopeMissing(dir, u)) return dir.tree.roots.includes(me.scope);
  const node = u.role === 'site' ? dir.site(u.scope)?.jurisdiction : u.scope;
  return node !== undefined && dir.tree.within(node, me.scope);
}

/** The name of a user's scope as the console shows it (a site's or a node's), or undefined when missing. */
export function scopeName(dir: Directory, u: Placed): string | undefined {
  return u.role === 'site' ? dir.site(u.scope)?.name : dir.tree.get(u.scope)?.name;
}
