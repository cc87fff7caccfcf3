import { createHash, randomBytes } from 'node:crypto';
import { HttpError } from '../errors.js';
import type { Store, User } from '../store/repositories.js';
import { hashPassword, verifyPassword } from './passwords.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

// A fixed hash to verify against when the user does not exist, so timing does not reveal usernames.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export class AuthService {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly store: Store,
    private readonly options: { sessionTtlSeconds: number; loginAttemptsPerMinute: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Checks the password and opens a session; throws 401 on bad credentials and 429 when rate-limited. */
  async login(
    username: string,
    password: string,
    from = '',
  ): Promise<{ token: string; user: User; expiresAt: string }> {
    const key = `${username}|${from}`;
    this.checkRateLimit(key);
    const found = await this.store.users.findByUsername(username);
    const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_HASH);
    if (!found || !ok || found.disabled) {
      this.recordFailure(key);
      throw new HttpError(401, 'bad_credentials', 'username or password is wrong');
    }
    const token = randomBytes(32).toString('base64url');
    const at = new Date(this.now());
    const expiresAt = new Date(at.getTime() + this.options.sessionTtlSeconds * 1000).toISOString();
    await this.store.sessions.create(hashToken(token), found.id, at.toISOString(), expiresAt);
    const { passwordHash: _omit, ...user } = found;
    return { token, user, expiresAt };
  }

  async resolve(token: string | undefined): Promise<User | undefined> {
    if (!token) return undefined;
    return this.store.sessions.resolve(hashToken(token), new Date(this.now()).toISOString());
  }

  async logout(token: string): Promise<void> {
    await this.store.sessions.delete(hashToken(token));
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
      passwordHash: await hashPassword(u.password),
      role: u.role,
      scope: u.scope,
    };
    if (u.displayName) input.displayName = u.displayName;
    return this.store.users.create(input);
  }

  /** Failed attempts per username and address in the last minute; past the limit, even a right password waits. */
  private recentFailures(key: string): number[] {
    const t = this.now();
    const recent = (this.attempts.get(key) ?? []).filter((x) => t - x < 60_000);
    this.attempts.set(key, recent);
    return recent;
  }

  private checkRateLimit(key: string): void {
    if (this.recentFailures(key).length >= this.options.loginAttemptsPerMinute) {
      throw new HttpError(429, 'rate_limited', 'too many failed login attempts; wait a minute');
    }
  }

  private recordFailure(key: string): void {
    this.recentFailures(key).push(this.now());
  }
}
