/**
 * Throttles failed panel logins: after `maxPerMinute` failures from one address, or against one
 * panel id, further attempts are refused for the rest of the minute without checking the secret.
 * Bounded: an attacker sending new usernames or addresses cannot grow it past `maxKeys` (the oldest
 * keys go first).
 */
export class AuthThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly max: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(opts: { maxPerMinute: number; maxKeys?: number; now?: (() => number) | undefined }) {
    this.max = opts.maxPerMinute;
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  blocked(address: string, username: string | undefined): boolean {
    return this.over(`a:${address}`) || (username !== undefined && this.over(`u:${username}`));
  }

  failed(address: string, username: string | undefined): void {
    this.bump(`a:${address}`);
    if (username !== undefined) this.bump(`u:${username}`);
  }

  get size(): number {
    return this.failures.size;
  }

  private over(key: string): boolean {
    const f = this.failures.get(key);
    if (!f) return false;
    if (this.now() - f.since >= 60_000) {
      this.failures.delete(key);
      return false;
    }
    return f.count >= this.max;
  }

  private bump(key: string): void {
    const t = this.now();
    const f = this.failures.get(key);
    if (!f || t - f.since >= 60_000) {
      this.failures.delete(key);
      this.failures.set(key, { count: 1, since: t });
      while (this.failures.size > this.maxKeys)
        this.failures.delete(this.failures.keys().next().value as string);
      return;
    }
    f.count++;
  }
}
