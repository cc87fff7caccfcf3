import { createHash, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { authSchema } from '../config/sections/auth.js';
import { HttpError, SharpeyesError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import type { User } from '../store/repositories.js';
import type { Store } from '../store/sqlite.js';
import { GateFullError } from '../util/gate.js';
import { AuthStore, newSessionRef, type SessionInfo } from './auth-store.js';
import { LoginThrottle } from './login-throttle.js';
import { MediaUrls } from './media-urls.js';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { PeopleNames } from './people-names.js';
import { type SessionEnd, SessionWatch } from './session-watch.js';
import { type CityThrottle, SharedLoginThrottle } from './shared-throttle.js';
import { StoreLoginThrottle } from './store-throttle.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export type AuthOptions = z.input<typeof authSchema>;
type Resolved = z.output<typeof authSchema>;

/** A session as a request or socket carries it: who, and which session (for binding and revocation). */
export interface AuthSession extends SessionInfo {
  /** How the request proved it: a session token in the Authorization header, or a signed media URL. */
  via: 'bearer' | 'media';
}

/**
 * Logins, sessions and their ends. A login is throttled per (username, address) and per address in
 * bounded memory; the password hash runs behind a small gate at OWASP's cost and is upgraded at the
 * next good login. Ending a session (logout, a disabled user, revoke, a password change) closes its
 * sockets here at once (`watch.end`) and on other nodes at their next store re-check; so does a
 * new role or scope.
 */
export class AuthService {
  readonly store: AuthStore;
  readonly watch: SessionWatch;
  readonly options: Resolved;
  /** Display names by username, for the views that name who acted (never a read per view). */
  readonly people: PeopleNames;
  private readonly throttle: LoginThrottle;
  /** The count over every node (Redis, or a PostgreSQL the nodes share), beside this node's own. */
  private shared: CityThrottle | undefined;
  private readonly dummy: string;
  private readonly endListeners = new Set<(e: SessionEnd) => void>();
  private media: MediaUrls | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Store,
    options: AuthOptions,
    private readonly now: () => number = Date.now,
    private readonly log: Logger = silentLogger,
  ) {
    this.options = authSchema.parse(options);
    this.store = new AuthStore(db.k);
    this.throttle = new LoginThrottle({
      perUserAndAddress: this.options.loginAttemptsPerMinute,
      perAddress: this.options.loginAttemptsPerAddressPerMinute,
      now,
    });
    this.dummy = dummyHash(this.options.passwordHashCost);
    this.watch = new SessionWatch({
      liveRefs: (refs) => this.store.liveRefs(refs, this.iso()),
      log,
      now,
    });
    this.people = new PeopleNames(
      () => this.store.staffNames(),
      log,
      (names) => this.store.displayNamesOf(names),
    );
  }

  private iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }

  /**
   * Counts failed logins over every node as well (a city's nodes behind one balancer): see
   * `SharedLoginThrottle`. The limits are this service's.
   */
  shareThrottle(redisUrl: string): void {
    this.shared?.close();
    this.shared = SharedLoginThrottle.connect(redisUrl, {
      perUserAndAddress: this.options.loginAttemptsPerMinute,
      perAddress: this.options.loginAttemptsPerAddressPerMinute,
      log: this.log,
    });
  }

  /**
   * Counts failed logins over every node in the store, for a city on one PostgreSQL without Redis:
   * see `StoreLoginThrottle`. A single node (SQLite) counts in its memory alone.
   */
  shareThrottleInStore(): void {
    this.shared?.close();
    this.shared = new StoreLoginThrottle(this.db.k, {
      perUserAndAddress: this.options.loginAttemptsPerMinute,
      perAddress: this.options.loginAttemptsPerAddressPerMinute,
      log: this.log,
      now: this.now,
    });
  }

  /** Forgets the windows of failed logins over by `now` (the store's count; each node does it a minute). */
  async purgeLoginFailures(now = this.now()): Promise<number> {
    return this.shared instanceof StoreLoginThrottle ? this.shared.purge(now) : 0;
  }

  /** Loads (or creates) the media-URL key and starts the socket re-check and the session purge. */
  async start(): Promise<void> {
    const o = this.options;
    const secret =
      o.mediaUrlSecret ??
      (await this.store.sharedSecret('media-url', randomBytes(32).toString('base64url'), this.iso()));
    this.media = new MediaUrls(
      Buffer.from(secret, o.mediaUrlSecret ? 'utf8' : 'base64url'),
      o.mediaUrlSeconds,
      this.now,
    );
    this.watch.start(o.sessionCheckSeconds * 1000);
    await this.people.start();
    await this.purge();
    this.purgeTimer = setInterval(() => void this.purge(), o.sessionPurgeSeconds * 1000);
    this.purgeTimer.unref();
    if (o.passwordHashCost < 17)
      this.log.warn(
        { cost: o.passwordHashCost },
        'auth: passwordHashCost is below the OWASP recommendation of 17',
      );
  }

  stop(): void {
    this.watch.stop();
    this.people.stop();
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = undefined;
    this.shared?.close();
    this.shared = undefined;
  }

  /** Deletes expired sessions; returns how many. */
  async purge(): Promise<number> {
    try {
      const n = await this.store.purgeExpired(this.iso());
      if (n > 0) this.log.debug({ purged: n }, 'auth: expired sessions purged');
      return n;
    } catch (err) {
      // Tolerated until the next round: an expired session is refused anyway, only its row remains.
      this.log.error({ err }, 'auth: purging expired sessions failed');
      return 0;
    }
  }

  get mediaUrls(): MediaUrls {
    if (!this.media)
      throw new SharpeyesError('auth', 'media URLs are not ready: the auth module has not started');
    return this.media;
  }

  /** Listens to every session end this node causes (for a cross-node channel later). */
  onSessionEnd(fn: (e: SessionEnd) => void): () => void {
    this.endListeners.add(fn);
    return () => this.endListeners.delete(fn);
  }

  /** Closes the sockets of the ended session(s) now and tells the listeners. */
  endSessions(e: SessionEnd): number {
    const closed = this.watch.end(e);
    for (const fn of this.endListeners) {
      try {
        fn(e);
      } catch (err) {
        this.log.error({ err }, 'auth: a session-end listener failed');
      }
    }
    return closed;
  }

  /** Checks the password and opens a session; 401 on bad credentials, 429 when throttled or busy. */
  async login(
    username: string,
    password: string,
    from = '',
  ): Promise<{ token: string; user: User; expiresAt: string; ref: string }> {
    // The count over every node judges while it answers (a good login on one node clears it for all);
    // this node's own, kept all along, when it does not.
    const verdict = (await this.shared?.check(username, from)) ?? this.throttle.check(username, from);
    if (verdict.limited)
      throw new HttpError(
        429,
        'rate_limited',
        `too many failed logins ${verdict.by === 'user' ? 'for this username' : 'from this address'}; try again in ${verdict.retryAfterSeconds} s`,
        { retryAfterSeconds: verdict.retryAfterSeconds },
      );
    const found = await this.store.userWithHash(username);
    let ok: boolean;
    try {
      ok = await verifyPassword(password, found?.passwordHash ?? this.dummy);
    } catch (err) {
      if (err instanceof GateFullError)
        throw new HttpError(429, 'busy', 'too many logins at once; try again in a few seconds', {
          retryAfterSeconds: 2,
        });
      throw err;
    }
    if (!found || !ok || found.disabled) {
      this.throttle.fail(username, from);
      await this.shared?.fail(username, from);
      throw new HttpError(401, 'bad_credentials', 'username or password is wrong');
    }
    this.throttle.succeed(username, from);
    await this.shared?.succeed(username, from);
    const token = randomBytes(32).toString('base64url');
    const at = this.now();
    const expiresAt = this.iso(at + this.options.sessionTtlSeconds * 1000);
    const ref = newSessionRef();
    const opened = await this.store.createSession({
      tokenHash: hashToken(token),
      userId: found.id,
      ref,
      at: this.iso(at),
      expiresAt,
      address: from || null,
      passwordChangedAt: found.passwordChangedAt,
    });
    // An admin set a new password (or disabled the user) while this one was being checked.
    if (!opened) throw new HttpError(401, 'bad_credentials', 'username or password is wrong');
    if (needsRehash(found.passwordHash, this.options.passwordHashCost))
      void this.upgradeHash(found.id, password);
    const { passwordHash: _omit, passwordChangedAt: _changed, ...user } = found;
    return { token, user, expiresAt, ref };
  }

  /** Re-hashes a weaker stored hash at today's cost; the user never notices. */
  private async upgradeHash(userId: number, password: string): Promise<void> {
    try {
      await this.store.setPasswordHash(
        userId,
        await hashPassword(password, this.options.passwordHashCost),
        null,
      );
      this.log.info({ userId, cost: this.options.passwordHashCost }, 'auth: password hash upgraded');
    } catch (err) {
      // Tolerated: the old hash still verifies, and the next login tries again.
      this.log.warn({ err, userId }, 'auth: password hash upgrade failed');
    }
  }

  async resolve(token: string | undefined): Promise<User | undefined> {
    return (await this.resolveSession(token))?.user;
  }

  async resolveSession(token: string | undefined): Promise<AuthSession | undefined> {
    if (!token || token.length > 200) return undefined;
    const s = await this.store.sessionByTokenHash(hashToken(token), this.iso());
    return s ? { ...s, via: 'bearer' } : undefined;
  }

  /** The session a verified media URL names, if it is still live. */
  async sessionByRef(ref: string): Promise<AuthSession | undefined> {
    const s = await this.store.sessionByRef(ref, this.iso());
    return s ? { ...s, via: 'media' } : undefined;
  }

  /**
   * Ends the token's session; returns its reference when this call ended it, undefined when it had
   * already ended (a second logout of the same token at the same instant, a revoke in between).
   */
  async logout(token: string): Promise<string | undefined> {
    const ref = await this.store.deleteSession(hashToken(token));
    if (ref) this.endSessions({ ref, reason: 'logout' });
    return ref;
  }

  async createUser(u: {
    username: string;
    password: string;
    role: User['role'];
    scope: string;
    displayName?: string;
  }): Promise<User> {
    const input: Parameters<Store['users']['create']>[0] = {
      username: u.username,
      passwordHash: await hashPassword(u.password, this.options.passwordHashCost),
      role: u.role,
      scope: u.scope,
    };
    if (u.displayName) input.displayName = u.displayName;
    const created = await this.db.users.create(input);
    this.people.set(created);
    return created;
  }

  /**
   * Creates a user unless the username is taken (by anyone, at any instant: the store's unique index
   * decides between two admins adding the same name at once): undefined then.
   */
  async createUserIfNew(u: {
    username: string;
    password: string;
    role: User['role'];
    scope: string;
    displayName: string | null;
  }): Promise<User | undefined> {
    const created = await this.db.users.createIfNew({
      username: u.username,
      passwordHash: await hashPassword(u.password, this.options.passwordHashCost),
      role: u.role,
      scope: u.scope,
      displayName: u.displayName,
      at: this.iso(),
    });
    if (created) this.people.set(created);
    return created;
  }

  /**
   * Sets a user's role, scope and display name, if they are still `user`'s (undefined when another
   * admin changed them meanwhile). A new role or scope ends every session of the user, closing their
   * sockets as a revoke does: rooms and screens were chosen for the old one. Returns the sessions ended.
   */
  async updateUser(
    user: User,
    next: { role: User['role']; scope: string; displayName: string | null },
  ): Promise<number | undefined> {
    const reseat = next.role !== user.role || next.scope !== user.scope;
    const n = await this.store.updateUser(user.id, user, next, reseat);
    if (n !== undefined) this.people.set({ username: user.username, ...next });
    if (n !== undefined && reseat) this.endSessions({ userId: user.id, reason: 'role_changed' });
    return n;
  }

  /** Sets a new password and ends every session of the user (they log in again with it). */
  async setPassword(user: User, password: string): Promise<number> {
    const hash = await hashPassword(password, this.options.passwordHashCost);
    await this.store.setPasswordHash(user.id, hash, this.iso());
    const n = await this.store.deleteUserSessions(user.id);
    this.endSessions({ userId: user.id, reason: 'password_changed' });
    return n;
  }

  async setDisabled(user: User, disabled: boolean): Promise<number> {
    await this.store.setDisabled(user.id, disabled, this.iso());
    if (!disabled) return 0;
    const n = await this.store.deleteUserSessions(user.id);
    this.endSessions({ userId: user.id, reason: 'disabled' });
    return n;
  }

  async revokeSessions(user: User): Promise<number> {
    const n = await this.store.deleteUserSessions(user.id);
    this.endSessions({ userId: user.id, reason: 'revoked' });
    return n;
  }

  /** Bounded-memory figures of the login throttle. */
  get throttleSize(): { users: number; addresses: number } {
    return this.throttle.size;
  }
}
