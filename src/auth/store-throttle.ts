import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';
import { addressKey, type ThrottleVerdict } from './login-throttle.js';
import { type CityThrottle, type SharedThrottleOptions, unansweredWarner } from './shared-throttle.js';

declare module '../store/db-types.js' {
  interface DB {
    login_failures: LoginFailuresTable;
  }
}

/** Migration 119. */
export interface LoginFailuresTable {
  /** `a:<address>` or `u:<hash of the username and address>`. */
  key: string;
  failures: number;
  /** Epoch milliseconds: the window began at the key's first failure and ends here. */
  window_end_ms: number;
}

/** How long a login waits for the database's count before it is judged by the node's own. */
const ANSWER_MS = 500;
/**
 * Queries of this count unanswered at once: beyond them an ask waits for a place (within the same half
 * second), so a database that hangs holds at most these connections of the pool, never the alarm path's.
 */
const MAX_WAITING = 2;
const PURGE_EVERY_MS = 60_000;

/**
 * Failed logins counted across every node of a city that shares PostgreSQL and has no Redis (with
 * `realtime.redis` they are counted there: `SharedLoginThrottle`). Each failure is upserted in one
 * statement into a fixed window per key that starts at the first failure, as the Redis count does,
 * so a balancer spreading a guesser's attempts over N nodes does not multiply the limit.
 *
 * The database is a helper here, not a gate: a count that does not come within half a second (the
 * database slow, locked or down) leaves the login to the node's own count, and the log says so once a
 * minute. Every query is asynchronous; the event loop never waits for one.
 */
export class StoreLoginThrottle implements CityThrottle {
  private readonly windowMs: number;
  private readonly unanswered: (err: unknown) => void;
  /** Queries asked and not yet answered (at most `MAX_WAITING`), and the asks waiting for a place. */
  private waiting = 0;
  private readonly queue: { resolve: (ok: boolean) => void; timer: NodeJS.Timeout | undefined }[] = [];
  private purging = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly k: Kysely<DB>,
    private readonly o: SharedThrottleOptions & { now?: () => number },
  ) {
    this.windowMs = o.windowMs ?? 60_000;
    this.unanswered = unansweredWarner(o.log, 'the database does not answer in time');
    this.timer = setInterval(() => void this.purge(), PURGE_EVERY_MS);
    this.timer.unref();
    o.log.info('auth: failed logins counted across nodes in the database');
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  async check(username: string, address: string): Promise<ThrottleVerdict | undefined> {
    const [addr, user] = keys(username, address);
    const t = this.now();
    const rows = await this.ask(() =>
      this.k
        .selectFrom('login_failures')
        .select(['key', 'failures', 'window_end_ms'])
        .where('key', 'in', [addr, user])
        .where('window_end_ms', '>', t)
        .execute(),
    );
    if (!rows) return undefined;
    const u = rows.find((r) => r.key === user);
    if (u && Number(u.failures) >= this.o.perUserAndAddress) return limited('user', u.window_end_ms - t);
    const a = rows.find((r) => r.key === addr);
    if (a && Number(a.failures) >= this.o.perAddress) return limited('address', a.window_end_ms - t);
    return { limited: false };
  }

  async fail(username: string, address: string): Promise<void> {
    const t = this.now();
    const end = t + this.windowMs;
    // Keys in one order (a: before u:), so two nodes' upserts lock rows alike and never deadlock.
    const values = keys(username, address).map((key) => ({ key, failures: 1, window_end_ms: end }));
    await this.ask(() =>
      this.k
        .insertInto('login_failures')
        .values(values)
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => {
            const over = eb('login_failures.window_end_ms', '<=', t);
            return {
              failures: eb
                .case()
                .when(over)
                .then(1)
                .else(eb('login_failures.failures', '+', 1))
                .end(),
              window_end_ms: eb
                .case()
                .when(over)
                .then(eb.ref('excluded.window_end_ms'))
                .else(eb.ref('login_failures.window_end_ms'))
                .end(),
            };
          }),
        )
        .execute(),
    );
  }

  /** A good login clears that username's count at that address (not the address's), as locally. */
  async succeed(username: string, address: string): Promise<void> {
    const user = keys(username, address)[1];
    await this.ask(() => this.k.deleteFrom('login_failures').where('key', '=', user).execute());
  }

  /** Deletes the windows over by `now`; every node does it once a minute (one indexed statement). */
  async purge(now = this.now()): Promise<number> {
    if (this.purging) return 0;
    this.purging = true;
    try {
      const r = await this.k
        .deleteFrom('login_failures')
        .where('window_end_ms', '<=', now)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    } catch (err) {
      // Tolerated until the next minute: a window over counts nothing, only its row remains.
      this.unanswered(err);
      return 0;
    } finally {
      this.purging = false;
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  /**
   * The query's result, or undefined when it failed or did not come within `ANSWER_MS` of the ask,
   * its wait for one of the `MAX_WAITING` places included: a burst of logins (a shift change, or a
   * guesser firing at once) is counted in turn, each taking a place as one frees, not left to the
   * node's own count.
   */
  private async ask<T>(query: () => Promise<T>): Promise<T | undefined> {
    const deadline = Date.now() + ANSWER_MS;
    if (!(await this.place(deadline))) {
      this.unanswered(new Error(`${MAX_WAITING} earlier queries still unanswered after ${ANSWER_MS} ms`));
      return undefined;
    }
    const answer = query().then(
      (value) => ({ value }),
      (err: unknown) => ({ err }),
    );
    void answer.finally(() => this.free());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<{ err: unknown }>((resolve) => {
      timer = setTimeout(
        () => resolve({ err: new Error(`no answer within ${ANSWER_MS} ms`) }),
        Math.max(0, deadline - Date.now()),
      );
    });
    const r = await Promise.race([answer, late]);
    clearTimeout(timer);
    if ('value' in r) return r.value;
    this.unanswered(r.err);
    return undefined;
  }

  /** One of the `MAX_WAITING` places for a query, taken in order of asking; false if none by `deadline`. */
  private place(deadline: number): Promise<boolean> {
    if (this.waiting < MAX_WAITING) {
      this.waiting++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const turn = { resolve, timer: undefined as NodeJS.Timeout | undefined };
      turn.timer = setTimeout(
        () => {
          this.queue.splice(this.queue.indexOf(turn), 1);
          resolve(false);
        },
        Math.max(0, deadline - Date.now()),
      );
      this.queue.push(turn);
    });
  }

  /** A query's place is free: the next in line takes it. */
  private free(): void {
    const next = this.queue.shift();
    if (!next) {
      this.waiting--;
      return;
    }
    clearTimeout(next.timer);
    next.resolve(true);
  }
}

/**
 * The address's key and the username's at that address. A username as typed may be long or hold
 * characters PostgreSQL's text refuses (NUL): its key is a hash, of the name as the local count folds it.
 */
function keys(username: string, address: string): [string, string] {
  const a = addressKey(address);
  const user = createHash('sha256').update(`${username.toLowerCase()}\u0000${a}`).digest('base64url');
  return [`a:${a}`, `u:${user}`];
}

function limited(by: 'user' | 'address', ms: number): ThrottleVerdict {
  return { limited: true, by, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) };
}
