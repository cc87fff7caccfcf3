import type { Directory } from '../core/directory.js';
import type { Role, User } from '../store/repositories.js';
import type { AuthStore, UserSummary } from './auth-store.js';
import { managesUser, scopeMissing, scopeName } from './user-place.js';

/** What the admin users page asks for (`GET /api/users?q=&role=&status=&scopeMissing=&limit=&offset=`). */
export interface UserQuery {
  /** Words that must each appear in the username, display name, or the scope's id or name. */
  q?: string | undefined;
  role?: Role | undefined;
  status?: 'enabled' | 'disabled' | undefined;
  /** Only the users whose site or node left the config. */
  scopeMissing?: boolean | undefined;
  /** Absent: every matching user (what callers older than paging get). */
  limit?: number | undefined;
  offset?: number | undefined;
}

/** A user as the users page lists it: the summary, and whether its scope still names anything. */
export type ListedUser = UserSummary & { scopeMissing: boolean };

export interface UserPage {
  users: ListedUser[];
  /** Users matching the query, all pages together. */
  total: number;
  offset: number;
  limit?: number;
  /** The admin's users whose scope is missing, whatever the query: the page's "please fix" banner. */
  missingScopes: number;
}

/**
 * Folds what a person may type differently: case (Latin, Greek, Cyrillic) and full-width forms that a
 * Chinese input method produces ("ＷＡＮＧ", "１２"). Chinese characters are left as they are.
 */
export const fold = (s: string): string => s.normalize('NFKC').toLowerCase();

/** Code-unit order, the same on SQLite and PostgreSQL whatever the database's collation: stable pages. */
const byUsername = (a: User, b: User): number =>
  a.username < b.username ? -1 : a.username > b.username ? 1 : 0;

/**
 * One page of the users an admin manages. The subtree and the names of sites and nodes live in the
 * config, not in the database, so the store returns a narrow row for every user, the subtree, the
 * filters and the words are decided here (alike on SQLite and PostgreSQL, whose `lower()` and `LIKE`
 * differ), and the session counts are read for the page's users only. A district of thousands of
 * users is a few milliseconds.
 */
export async function searchUsers(
  store: AuthStore,
  dir: Directory,
  me: User,
  query: UserQuery,
  now: string,
): Promise<UserPage> {
  const all = (await store.userIndex()).filter((u) => managesUser(dir, me, u));
  const words = fold(query.q ?? '')
    .split(/\s+/u)
    .filter((w) => w.length > 0);
  const matches = all.filter((u) => {
    if (query.role !== undefined && u.role !== query.role) return false;
    if (query.status !== undefined && u.disabled !== (query.status === 'disabled')) return false;
    if (query.scopeMissing !== undefined && scopeMissing(dir, u) !== query.scopeMissing) return false;
    if (words.length === 0) return true;
    const text = fold([u.username, u.displayName ?? '', u.scope, scopeName(dir, u) ?? ''].join('\n'));
    return words.every((w) => text.includes(w));
  });
  matches.sort(byUsername);
  const offset = query.offset ?? 0;
  const page =
    query.limit === undefined ? matches.slice(offset) : matches.slice(offset, offset + query.limit);
  const summaries = await store.listUsers(
    now,
    page.map((u) => u.id),
  );
  return {
    users: summaries.map((u) => ({ ...u, scopeMissing: scopeMissing(dir, u) })),
    total: matches.length,
    offset,
    ...(query.limit !== undefined ? { limit: query.limit } : {}),
    missingScopes: all.filter((u) => scopeMissing(dir, u)).length,
  };
}
