import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { redactUrl } from '../log.js';
import { addressKey, type ThrottleVerdict } from './login-throttle.js';

export interface SharedThrottleOptions {
  /** Failures allowed per username and address in a window, counted over every node. */
  perUserAndAddress: number;
  /** Failures allowed per address in a window, over every node. */
  perAddress: number;
  windowMs?: number;
  log: Logger;
}

/**
 * A count of failed logins over every node, beside each node's own: in Redis (`realtime.redis`) or,
 * without Redis, in a PostgreSQL the nodes share (`StoreLoginThrottle`). `check` is undefined when the
 * count does not answer in time: the login is then judged by the node's own count.
 */
export interface CityThrottle {
  check(username: string, address: string): Promise<ThrottleVerdict | undefined>;
  fail(username: string, address: string): Promise<void>;
  succeed(username: string, address: string): Promise<void>;
  close(): void;
}

const PREFIX = 'sharpeyes:login:';
/** How long a node waits for Redis before it judges a login by its own count alone. */
const ANSWER_MS = 500;
/** A shared count that does not answer is logged at most this often. */
const WARN_EVERY_MS = 60_000;

/**
 * Says in the log, at most once a minute, that the shared count (`what`: Redis, the database) did not
 * answer and this node's own count judges meanwhile: a minute of a dead Redis is one line, not one
 * per login.
 */
export function unansweredWarner(log: Pick<Logger, 'warn'>, what: string): (err: unknown) => void {
  let warnedAt = Number.NEGATIVE_INFINITY;
  return (err) => {
    const now = Date.now();
    if (now - warnedAt < WARN_EVERY_MS) return;
    warnedAt = now;
    log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      `auth: ${what}; failed logins are counted on this node only`,
    );
  };
}

/**
 * Failed logins counted across every node of a city (`realtime.redis`, issue 16). Each node's own
 * throttle (`LoginThrottle`) counts the attempts it saw; behind a balancer that spreads a guesser's
 * attempts over N nodes, it allowed N times the limit. Here each failure is also counted in Redis, in
 * a fixed window that starts at the first failure (INCR, then an expiry set only if none is), and a
 * login is refused once that count is at its limit, whichever node it reaches. While it answers, it
 * alone judges: a good login clears it for every node, where a node's own count, cleared only by the
 * logins it saw, would still refuse the owner who mistyped there.
 *
 * Redis is a helper, not a gate: when it does not answer within half a second (down, a network
 * split), the node judges by its own count, as a single node does, and says so in the log once a
 * minute. An officer can always log in as before; a guesser gets at most the per-node limit.
 */
export class SharedLoginThrottle implements CityThrottle {
  private readonly windowMs: number;
  private readonly unanswered: (err: unknown) => void;

  constructor(
    private readonly redis: Redis,
    private readonly o: SharedThrottleOptions,
  ) {
    this.windowMs = o.windowMs ?? 60_000;
    this.unanswered = unansweredWarner(o.log, 'Redis does not answer');
  }

  /** A client of its own: commands fail at once while Redis is unreachable (no queue to wait in). */
  static connect(url: string, o: SharedThrottleOptions): SharedLoginThrottle {
    const redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: ANSWER_MS,
    });
    redis.on('error', () => {
      // Reported by the calls that fail (`unanswered`), once a minute, not on every reconnect.
    });
    o.log.info({ url: redactUrl(url) }, 'auth: failed logins counted across nodes in Redis');
    return new SharedLoginThrottle(redis, o);
  }

  async check(username: string, address: string): Promise<ThrottleVerdict | undefined> {
    const [user, addr] = this.keys(username, address);
    try {
      const r = await this.redis.multi().get(user).pttl(user).get(addr).pttl(addr).exec();
      const n = (i: number) => Number(r?.[i]?.[1] ?? 0) || 0;
      if (n(0) >= this.o.perUserAndAddress) return this.limited('user', n(1));
      if (n(2) >= this.o.perAddress) return this.limited('address', n(3));
      return { limited: false };
    } catch (err) {
      this.unanswered(err);
      return undefined;
    }
  }

  async fail(username: string, address: string): Promise<void> {
    const [user, addr] = this.keys(username, address);
    try {
      await this.redis
        .multi()
        .incr(user)
        .pexpire(user, this.windowMs, 'NX')
        .incr(addr)
        .pexpire(addr, this.windowMs, 'NX')
        .exec();
    } catch (err) {
      this.unanswered(err);
    }
  }

  /** A good login clears that username's count at that address (not the address's), as locally. */
  async succeed(username: string, address: string): Promise<void> {
    try {
      await this.redis.del(this.keys(username, address)[0]);
    } catch (err) {
      this.unanswered(err);
    }
  }

  close(): void {
    this.redis.disconnect();
  }

  private keys(username: string, address: string): [string, string] {
    const a = addressKey(address);
    return [`${PREFIX}u:${username.toLowerCase()}\u0000${a}`, `${PREFIX}a:${a}`];
  }

  private limited(by: 'user' | 'address', pttl: number): ThrottleVerdict {
    const ms = pttl > 0 ? pttl : this.windowMs;
    return { limited: true, by, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) };
  }
}
