import type { Directory } from '../core/directory.js';
import type { Role, User } from '../store/repositories.js';
import { usernameKey } from '../store/username-key.js';
import { nextTurn } from '../util/next-turn.js';
import type { AuthStore, SameName, UserSummary } from './auth-store.js';
import { managesUser, scopeMissing, scopeName } from './user-place.js';

/** What the admin users page asks for (`GET /api/users?q=&role=&status=&scopeMissing=&sameName=&limit=&offset=`). */
export interface UserQuery {
  /** Words that must each appear in the username, display name, or the scope's id or name. */
  q?: string | undefined;
  role?: Role | undefined;
  status?: 'enabled' | 'disabled' | undefined;
  /** Only the users whose site or node left the config. */
  scopeMissing?: boolean | undefined;
  /** Only the users who share their name with another account (`ListedUser.sameName`). */
  sameName?: boolean | undefined;
  /** Absent: every matching user (what callers older than paging get). */
  limit?: number | undefined;
  offset?: number | undefined;
}

/**
 * An account that is another's name but for case or width (`Wang` and `wang`, stored before migration
 * 116): easy to mistake for each other at the login and in the audit log.
 */
export interface SameNameOf {
  /** The other accounts of the name, the one holding it first (any area: the name is one city-wide). */
  others: string[];
  /** This account holds the name (the oldest): the others are the ones to give a new name. */
  holds: boolean;
}

/**
 * A user as the users page lists it: the summary, whether its scope still names anything, and the
 * accounts it shares its name with, if any.
 */
export type ListedUser = UserSummary & { scopeMissing: boolean; sameName?: SameNameOf };

export interface UserPage {
  users: ListedUser[];
  /** Users matching the query, all pages together. */
  total: number;
  offset: number;
  limit?: number;
  /** The admin's users whose scope is missing, whatever the query: the page's "please fix" banner. */
  missingScopes: number;
  /** The admin's users who share their name with another account, whatever the query. */
  sameNames: number;
}

/**
 * Folds what a person may type differently as a username's identity does (src/store/username-key.ts):
 * full-width forms a Chinese input method produces ("ＷＡＮＧ", "１２") and case as Unicode folds it
 * ("strasse" finds Straße, "οδοσ" ΟΔΟΣ), so the search finds every account the 409 of a new name
 * calls taken. Display names and places fold alike (Weiß by "weiss"); Chinese is left as it is.
 */
export const fold: (s: string) => string = usernameKey;

/** Code-unit order, the same on SQLite and PostgreSQL whatever the database's collation: stable pages. */
const byUsername = (a: User, b: User): number =>
  a.username < b.username ? -1 : a.username > b.username ? 1 : 0;

/**
 * Users read and matched between two turns of the event loop. Matching folds each user's text
 * (NFKC), which costs more than reading the row: 200 hold the thread well under a millisecond here,
 * 500 about two (bench/user-search.ts).
 */
const SEARCH_PAGE = 200;

/**
 * One page of the users an admin manages. The subtree and the names of sites and nodes live in the
 * config, not in the database, so the store gives every user's narrow row, the subtree, the filters
 * and the words are decided here (alike on SQLite and PostgreSQL, whose `lower()` and `LIKE` differ),
 * and the session counts are read for the page's users only. The users are read and matched a store
 * page at a time, a turn of the event loop between (`AuthStore.userPages`): a district's thousands of
 * owner accounts hold the alarm thread for a page (`SEARCH_PAGE`) at most, never for the whole search.
 */
export async function searchUsers(
  store: AuthStore,
  dir: Directory,
  me: User,
  query: UserQuery,
  now: string,
): Promise<UserPage> {
  const words = fold(query.q ?? '')
    .split(/\s+/u)
    .filter((w) => w.length > 0);
  const sameName = sameNamesByUser(await store.sameNames());
  const matches: User[] = [];
  let missingScopes = 0;
  let sameNames = 0;
  for await (const page of store.userPages(SEARCH_PAGE)) {
    for (const u of page) {
      if (!managesUser(dir, me, u)) continue;
      const missing = scopeMissing(dir, u);
      if (missing) missingScopes++;
      if (sameName.has(u.username)) sameNames++;
      if (query.role !== undefined && u.role !== query.role) continue;
      if (query.status !== undefined && u.disabled !== (query.status === 'disabled')) continue;
      if (query.scopeMissing !== undefined && missing !== query.scopeMissing) continue;
      if (query.sameName !== undefined && sameName.has(u.username) !== query.sameName) continue;
      if (words.length > 0) {
        const text = fold([u.username, u.displayName ?? '', u.scope, scopeName(dir, u) ?? ''].join('\n'));
        if (!words.every((w) => text.includes(w))) continue;
      }
      matches.push(u);
    }
  }
  matches.sort(byUsername);
  const offset = query.offset ?? 0;
  const page =
    query.limit === undefined ? matches.slice(offset) : matches.slice(offset, offset + query.limit);
  // The page's summaries (session counts) the same way: all of them when the caller asked for no limit.
  const summaries: UserSummary[] = [];
  for (let i = 0; i < page.length; i += SEARCH_PAGE) {
    if (i > 0) await nextTurn();
    const ids = page.slice(i, i + SEARCH_PAGE).map((u) => u.id);
    summaries.push(...(await store.listUsers(now, ids)));
  }
  return {
    users: summaries.map((u) => {
      const same = sameName.get(u.username);
      return { ...u, scopeMissing: scopeMissing(dir, u), ...(same ? { sameName: same } : {}) };
    }),
    total: matches.length,
    offset,
    ...(query.limit !== undefined ? { limit: query.limit } : {}),
    missingScopes,
    sameNames,
  };
}

/** Each account of a shared name (`AuthStore.sameNames`) with the others of it. */
function sameNamesByUser(groups: readonly SameName[]): Map<string, SameNameOf> {
  const out = new Map<string, SameNameOf>();
  for (const { usernames } of groups)
    for (const [i, username] of usernames.entries())
      out.set(username, { others: usernames.filter((o) => o !== username), holds: i === 0 });
  return out;
}
