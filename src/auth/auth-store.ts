import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';
import type { Role, User } from '../store/repositories.js';
import { usernameKey } from '../store/username-key.js';
import { keysetPages } from '../util/keyset-pages.js';
import type { StaffName } from './people-names.js';

/** A live session as the server sees it: whose, its public reference, when it ends. */
export interface SessionInfo {
  user: User;
  /** Public reference (32 hex): what media URLs and sockets are bound to. Never the token or its hash. */
  ref: string;
  expiresAt: string;
}

/** A user as the admin page and `sharpeyes user list` show it. */
export interface UserSummary extends User {
  createdAt: string;
  disabledAt: string | null;
  passwordChangedAt: string | null;
  lastLoginAt: string | null;
  /** Sessions that have not expired. */
  sessions: number;
}

/**
 * Accounts stored as one name but for case or width before migration 116 (`AuthStore.sameNames`):
 * the first holds the name (the oldest), the others log in by their exact names.
 */
export interface SameName {
  usernames: string[];
}

type UserRow = Omit<DB['users'], 'id' | 'password_hash'> & { id: number };

const toUser = (
  r: Pick<UserRow, 'id' | 'username' | 'role' | 'scope' | 'display_name' | 'disabled'>,
): User => ({
  id: Number(r.id),
  username: r.username,
  role: r.role as Role,
  scope: r.scope,
  displayName: r.display_name,
  disabled: Number(r.disabled) === 1,
});

export const newSessionRef = (): string => randomBytes(16).toString('hex');

/** Largest IN list per statement (SQLite's default limit is 32766 variables; PostgreSQL's 65535). */
const CHUNK = 500;

const USER_COLUMNS = [
  'u.id',
  'u.username',
  'u.role',
  'u.scope',
  'u.display_name',
  'u.disabled',
  'u.created_at',
  'u.disabled_at',
  'u.password_changed_at',
  'u.last_login_at',
] as const;

/**
 * Issue 15's sessions, user administration and media-URL key on the data layer. Tables: `users`,
 * `sessions` (migrations 1 and 80), `auth_keys` (80).
 */
export class AuthStore {
  constructor(private readonly k: Kysely<DB>) {}

  /**
   * Opens a session unless the user's password changed since `passwordChangedAt` (what the login
   * verified against) or the user was disabled meanwhile: false then, and nothing is written. The
   * user's row is updated first (on PostgreSQL its lock is held to the commit), so an admin's new
   * password either comes first and this opens nothing, or comes after and its ending of the user's
   * sessions ends this one too (before, a login with the old password at that instant kept a session).
   */
  async createSession(s: {
    tokenHash: string;
    userId: number;
    ref: string;
    at: string;
    expiresAt: string;
    address: string | null;
    passwordChangedAt: string | null;
  }): Promise<boolean> {
    return this.k.transaction().execute(async (tx) => {
      const r = await tx
        .updateTable('users')
        .set({ last_login_at: s.at })
        .where('id', '=', s.userId)
        .where('disabled', '=', 0)
        .where((eb) =>
          s.passwordChangedAt === null
            ? eb('password_changed_at', 'is', null)
            : eb('password_changed_at', '=', s.passwordChangedAt),
        )
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await tx
        .insertInto('sessions')
        .values({
          token_hash: s.tokenHash,
          user_id: s.userId,
          created_at: s.at,
          expires_at: s.expiresAt,
          ref: s.ref,
          address: s.address,
        })
        .execute();
      return true;
    });
  }

  /** The live session of a token hash (not expired, user not disabled). */
  async sessionByTokenHash(tokenHash: string, now: string): Promise<SessionInfo | undefined> {
    const r = await this.k
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select([...USER_COLUMNS, 's.ref as s_ref', 's.expires_at as s_expires'])
      .where('s.token_hash', '=', tokenHash)
      .where('s.expires_at', '>', now)
      .where('u.disabled', '=', 0)
      .executeTakeFirst();
    if (!r) return undefined;
    let ref = r.s_ref;
    if (!ref) {
      // A session written without a reference (by code older than migration 80): give it one now.
      ref = newSessionRef();
      await this.k
        .updateTable('sessions')
        .set({ ref })
        .where('token_hash', '=', tokenHash)
        .where('ref', 'is', null)
        .execute();
    }
    return { user: toUser(r), ref, expiresAt: r.s_expires };
  }

  async sessionByRef(ref: string, now: string): Promise<SessionInfo | undefined> {
    const r = await this.k
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select([...USER_COLUMNS, 's.expires_at as s_expires'])
      .where('s.ref', '=', ref)
      .where('s.expires_at', '>', now)
      .where('u.disabled', '=', 0)
      .executeTakeFirst();
    return r ? { user: toUser(r), ref, expiresAt: r.s_expires } : undefined;
  }

  /** Which of `refs` are still live sessions of enabled users: the periodic socket re-check. */
  async liveRefs(refs: readonly string[], now: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < refs.length; i += CHUNK) {
      const part = refs.slice(i, i + CHUNK);
      const rows = await this.k
        .selectFrom('sessions as s')
        .innerJoin('users as u', 'u.id', 's.user_id')
        .select('s.ref')
        .where('s.ref', 'in', part)
        .where('s.expires_at', '>', now)
        .where('u.disabled', '=', 0)
        .execute();
      for (const r of rows) if (r.ref) out.add(r.ref);
    }
    return out;
  }

  /** Deletes one session; returns its reference (for closing its sockets) when it existed. */
  async deleteSession(tokenHash: string): Promise<string | undefined> {
    const r = await this.k
      .deleteFrom('sessions')
      .where('token_hash', '=', tokenHash)
      .returning('ref')
      .executeTakeFirst();
    return r?.ref ?? undefined;
  }

  async deleteUserSessions(userId: number): Promise<number> {
    const r = await this.k.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async purgeExpired(now: string): Promise<number> {
    const r = await this.k.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async userWithHash(
    username: string,
  ): Promise<(User & { passwordHash: string; passwordChangedAt: string | null }) | undefined> {
    const r = await this.k
      .selectFrom('users as u')
      .select([...USER_COLUMNS, 'u.password_hash'])
      .where('u.username', '=', username)
      .executeTakeFirst();
    return r
      ? { ...toUser(r), passwordHash: r.password_hash, passwordChangedAt: r.password_changed_at }
      : undefined;
  }

  /**
   * Every user (or those of the ids in `only`, in that order) with their live session count at `now`.
   * The session counts are one subquery a user: ask for a page's ids, not for thousands.
   */
  async listUsers(now: string, only?: number | readonly number[]): Promise<UserSummary[]> {
    const ids = only === undefined ? undefined : typeof only === 'number' ? [only] : only;
    if (ids !== undefined && ids.length > CHUNK) {
      const out: UserSummary[] = [];
      for (let i = 0; i < ids.length; i += CHUNK)
        out.push(...(await this.listUsers(now, ids.slice(i, i + CHUNK))));
      return out;
    }
    if (ids !== undefined && ids.length === 0) return [];
    let q = this.k.selectFrom('users as u');
    if (ids !== undefined) q = q.where('u.id', 'in', ids);
    const rows = await q
      .select((eb) => [
        ...USER_COLUMNS,
        eb
          .selectFrom('sessions as s')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('s.user_id', '=', 'u.id')
          .where('s.expires_at', '>', now)
          .as('live'),
      ])
      .orderBy('u.username')
      .execute();
    const users = rows.map((r) => ({
      ...toUser(r),
      createdAt: r.created_at,
      disabledAt: r.disabled_at,
      passwordChangedAt: r.password_changed_at,
      lastLoginAt: r.last_login_at,
      sessions: Number(r.live ?? 0),
    }));
    if (ids === undefined) return users;
    const byId = new Map(users.map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id)).filter((u) => u !== undefined);
  }

  /**
   * Every user's name, role, scope and state, in pages of `page` by id, a turn of the event loop
   * between: what the admin users page searches and pages through (src/auth/user-search.ts). No
   * session counts, no hashes. A district's thousands of owner accounts never hold the alarm thread
   * for more than a page.
   */
  userPages(page = 500): AsyncGenerator<User[]> {
    return keysetPages({
      read: (after: number, limit) =>
        this.k
          .selectFrom('users')
          .select(['id', 'username', 'role', 'scope', 'display_name', 'disabled'])
          .where('id', '>', after)
          .orderBy('id')
          .limit(limit)
          .execute(),
      first: 0,
      key: (r) => Number(r.id),
      map: toUser,
      page,
    });
  }

  /**
   * The staff (every role but `site`): their display names and nodes (src/auth/people-names.ts reads
   * them once a minute). A city's shop owners are not among them: they do not act on incidents. Read
   * in pages of `page` by id, a turn of the event loop between: a city's thousands of staff never hold
   * the alarm thread for more than a page (500 rows, about 1 ms).
   */
  async staffNames(page = 500): Promise<StaffName[]> {
    const out: StaffName[] = [];
    const pages = keysetPages({
      read: (after: number, limit) =>
        this.k
          .selectFrom('users')
          .select(['id', 'username', 'display_name', 'scope'])
          .where('role', '!=', 'site')
          .where('id', '>', after)
          .orderBy('id')
          .limit(limit)
          .execute(),
      first: 0,
      key: (r) => Number(r.id),
      map: (r): StaffName => ({ username: r.username, displayName: r.display_name, scope: r.scope }),
      page,
    });
    for await (const rows of pages) out.push(...rows);
    return out;
  }

  /** The display names of these users, any role (a route naming who put a site on test). */
  async displayNamesOf(
    usernames: readonly string[],
  ): Promise<{ username: string; displayName: string | null }[]> {
    if (usernames.length === 0) return [];
    const rows = await this.k
      .selectFrom('users')
      .select(['username', 'display_name'])
      .where('username', 'in', usernames)
      .execute();
    return rows.map((r) => ({ username: r.username, displayName: r.display_name }));
  }

  /**
   * The username that is `username` but for case or width, if any ("Wang" when asked for "wang",
   * "wang" for "ｗａｎｇ"; src/store/username-key.ts), the name itself when it is taken as it is.
   */
  async usernameLike(username: string): Promise<string | undefined> {
    const rows = await this.k
      .selectFrom('users')
      .select('username')
      .where((eb) => eb.or([eb('username_key', '=', usernameKey(username)), eb('username', '=', username)]))
      .execute();
    return rows.find((r) => r.username === username)?.username ?? rows[0]?.username;
  }

  /**
   * The accounts that are one name but for case or width (`Wang`, `wang`, `ｗａｎｇ`), each group its
   * usernames with the one that holds the name first, then by age. Only accounts stored before
   * migration 116 can be such twins: the oldest holds `username_key`, the later ones keep none. So two
   * indexed reads whatever the number of users: the keyless ones, then who holds their keys.
   */
  async sameNames(): Promise<SameName[]> {
    const keyless = await this.k
      .selectFrom('users')
      .select(['id', 'username'])
      .where('username_key', 'is', null)
      .orderBy('id')
      .execute();
    if (keyless.length === 0) return [];
    const groups = new Map<string, string[]>();
    for (const r of keyless) groups.set(usernameKey(r.username), []);
    const keys = [...groups.keys()];
    for (let i = 0; i < keys.length; i += CHUNK) {
      const holders = await this.k
        .selectFrom('users')
        .select(['username', 'username_key'])
        .where('username_key', 'in', keys.slice(i, i + CHUNK))
        .execute();
      for (const h of holders) if (h.username_key !== null) groups.get(h.username_key)?.push(h.username);
    }
    for (const r of keyless) groups.get(usernameKey(r.username))?.push(r.username);
    // A twin whose name nobody holds (none is ever deleted; should one be) shares it with nobody.
    return [...groups.values()].filter((g) => g.length > 1).map((usernames) => ({ usernames }));
  }

  /**
   * Changes a user's role, scope and display name if they are still what the caller read (`was`),
   * deleting the user's sessions in the same transaction when `endSessions`: the sessions ended, or
   * undefined when the row changed meanwhile (nothing is written then).
   */
  async updateUser(
    userId: number,
    was: { role: Role; scope: string; displayName: string | null },
    next: { role: Role; scope: string; displayName: string | null },
    endSessions: boolean,
  ): Promise<number | undefined> {
    return this.k.transaction().execute(async (tx) => {
      const r = await tx
        .updateTable('users')
        .set({ role: next.role, scope: next.scope, display_name: next.displayName })
        .where('id', '=', userId)
        .where('role', '=', was.role)
        .where('scope', '=', was.scope)
        .where((eb) =>
          was.displayName === null
            ? eb('display_name', 'is', null)
            : eb('display_name', '=', was.displayName),
        )
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return undefined;
      if (!endSessions) return 0;
      const d = await tx.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
      return Number(d.numDeletedRows);
    });
  }

  async setDisabled(userId: number, disabled: boolean, at: string): Promise<void> {
    await this.k
      .updateTable('users')
      .set({ disabled: disabled ? 1 : 0, disabled_at: disabled ? at : null })
      .where('id', '=', userId)
      .execute();
  }

  async setPasswordHash(userId: number, passwordHash: string, at: string | null): Promise<void> {
    // A transparent re-hash at a higher cost (at === null) is not a password change.
    await this.k
      .updateTable('users')
      .set(
        at === null
          ? { password_hash: passwordHash }
          : { password_hash: passwordHash, password_changed_at: at },
      )
      .where('id', '=', userId)
      .execute();
  }

  /**
   * The secret named `name`, creating it from `candidate` if there is none yet. Two nodes starting
   * together both insert; the primary key keeps the first and both read the same one back.
   */
  async sharedSecret(name: string, candidate: string, at: string): Promise<string> {
    await this.k
      .insertInto('auth_keys')
      .values({ name, secret: candidate, created_at: at })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const r = await this.k
      .selectFrom('auth_keys')
      .select('secret')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return r.secret;
  }
}
