import { isIPv6 } from 'node:net';
import { BoundedMap } from '../util/bounded-map.js';

export interface LoginThrottleOptions {
  /** Failures allowed per username and address in a window. */
  perUserAndAddress: number;
  /** Failures allowed per address in a window, whatever the usernames (stops username spraying). */
  perAddress: number;
  windowMs?: number;
  /** Keys remembered per table (default 10_000 each): memory stays bounded whatever is sent. */
  maxKeys?: number;
  now?: () => number;
}

export type ThrottleVerdict =
  | { limited: false }
  | { limited: true; retryAfterSeconds: number; by: 'user' | 'address' };

/**
 * The address a limit counts: IPv4 as is (an IPv4-mapped IPv6 address as its IPv4), IPv6 by its /64,
 * because one subscriber gets a whole /64 and could otherwise rotate through it.
 */
export function addressKey(address: string): string {
  const a = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  if (!isIPv6(a)) return a;
  const [head = '', tail = ''] = a.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = a.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Failed-login counting by (username, address) and by address, in two LRU-bounded tables of the
 * failure times (each list at most as long as its limit). A new username per attempt only cycles
 * the first table; it never grows memory, and the address table still counts every attempt.
 */
export class LoginThrottle {
  private readonly byUser: BoundedMap<string, number[]>;
  private readonly byAddress: BoundedMap<string, number[]>;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: LoginThrottleOptions) {
    this.byUser = new BoundedMap(opts.maxKeys ?? 10_000);
    this.byAddress = new BoundedMap(opts.maxKeys ?? 10_000);
    this.windowMs = opts.windowMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Keys held, for /metrics and the bounded-memory test. */
  get size(): { users: number; addresses: number } {
    return { users: this.byUser.size, addresses: this.byAddress.size };
  }

  check(username: string, address: string): ThrottleVerdict {
    const t = this.now();
    const a = addressKey(address);
    const user = this.recent(this.byUser, `${username.toLowerCase()}\u0000${a}`, t);
    if (user.length >= this.opts.perUserAndAddress)
      return { limited: true, by: 'user', retryAfterSeconds: this.retryAfter(user, t) };
    const addr = this.recent(this.byAddress, a, t);
    if (addr.length >= this.opts.perAddress)
      return { limited: true, by: 'address', retryAfterSeconds: this.retryAfter(addr, t) };
    return { limited: false };
  }

  fail(username: string, address: string): void {
    const t = this.now();
    const a = addressKey(address);
    this.push(this.byUser, `${username.toLowerCase()}\u0000${a}`, t, this.opts.perUserAndAddress);
    this.push(this.byAddress, a, t, this.opts.perAddress);
  }

  /** A good login clears that username's count at that address (not the address's). */
  succeed(username: string, address: string): void {
    this.byUser.delete(`${username.toLowerCase()}\u0000${addressKey(address)}`);
  }

  private recent(map: BoundedMap<string, number[]>, key: string, t: number): number[] {
    const list = map.peek(key);
    if (!list) return [];
    const kept = list.filter((x) => t - x < this.windowMs);
    if (kept.length === 0) map.delete(key);
    else if (kept.length !== list.length) map.set(key, kept);
    return kept;
  }

  private push(map: BoundedMap<string, number[]>, key: string, t: number, limit: number): void {
    const list = this.recent(map, key, t);
    list.push(t);
    // Only the newest `limit` times can decide anything; older ones are dropped.
    map.set(key, list.slice(-limit));
  }

  private retryAfter(list: number[], t: number): number {
    const oldest = list[0] ?? t;
    return Math.max(1, Math.ceil((oldest + this.windowMs - t) / 1000));
  }
}
