import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../src/auth/auth-service.js';
import type { Logger } from '../../src/log.js';
import { silentLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

/** A logger that keeps its warnings, to read what a duty engineer would. */
function keptLog(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const log = {
    ...silentLogger,
    warn: (_o: unknown, msg?: string) => void warnings.push(String(msg)),
    child: () => log,
  } as unknown as Logger;
  return { log, warnings };
}

/**
 * Two nodes of one city (one database, one Redis) behind a balancer that sends a guesser's attempts
 * to either: the limit of failed logins holds over both, not per node.
 */
describe('failed logins counted across nodes (realtime.redis)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-shared-throttle-'));
  const store = new SqliteStore(join(dir, 'db.sqlite'));
  const opts = { loginAttemptsPerMinute: 4, loginAttemptsPerAddressPerMinute: 20, passwordHashCost: 14 };
  const logged = keptLog();
  const a = new AuthService(store, opts, Date.now, logged.log);
  const b = new AuthService(store, opts, Date.now, logged.log);
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startRedis();
    a.shareThrottle(redis.url);
    b.shareThrottle(redis.url);
    await a.createUser({ username: 'op-n', password: 'pass-word-n', role: 'operator', scope: 'north' });
    await a.createUser({ username: 'op-s', password: 'pass-word-s', role: 'operator', scope: 'north' });
  }, 60_000);
  afterAll(async () => {
    a.stop();
    b.stop();
    await redis?.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('four failures spread over two nodes refuse the fifth attempt on either, with the time to wait', async () => {
    // Each node has seen two: on its own count (limit 4) either would let the guesser go on.
    for (const node of [a, b, a, b])
      await expect(node.login('op-n', 'guess', '198.51.100.7')).rejects.toMatchObject({ status: 401 });
    for (const node of [a, b]) {
      const refused = node.login('op-n', 'pass-word-n', '198.51.100.7');
      await expect(refused).rejects.toMatchObject({ status: 429, code: 'rate_limited' });
      const wait = ((await refused.catch((e: unknown) => e)) as { data: { retryAfterSeconds: number } }).data
        .retryAfterSeconds;
      expect(wait).toBeGreaterThan(50);
      expect(wait).toBeLessThanOrEqual(60);
    }
    // Another address is not held for it, and a good login there clears only its own count.
    await expect(b.login('op-n', 'pass-word-n', '203.0.113.9')).resolves.toMatchObject({
      user: { username: 'op-n' },
    });
    await expect(a.login('op-n', 'pass-word-n', '198.51.100.7')).rejects.toMatchObject({ status: 429 });
  });

  it('a good login clears its count on every node', async () => {
    for (const node of [a, b, a])
      await expect(node.login('op-s', 'guess', '192.0.2.44')).rejects.toMatchObject({ status: 401 });
    await expect(b.login('op-s', 'pass-word-s', '192.0.2.44')).resolves.toMatchObject({
      user: { username: 'op-s' },
    });
    // Three more failures (two on a, whose own count still holds the first two): on the shared
    // count, cleared, they are three of four, so the next good login passes.
    for (const node of [b, b, b])
      await expect(node.login('op-s', 'guess', '192.0.2.44')).rejects.toMatchObject({ status: 401 });
    await expect(b.login('op-s', 'pass-word-s', '192.0.2.44')).resolves.toMatchObject({
      user: { username: 'op-s' },
    });
  });

  it('a good login on one node lets the owner in on the node that saw the failures', async () => {
    for (const node of [a, a, a])
      await expect(node.login('op-s', 'guess', '192.0.2.46')).rejects.toMatchObject({ status: 401 });
    await expect(b.login('op-s', 'pass-word-s', '192.0.2.46')).resolves.toMatchObject({
      user: { username: 'op-s' },
    });
    // Node a's own count holds four now; the count over both nodes, cleared on b, holds one.
    await expect(a.login('op-s', 'guess', '192.0.2.46')).rejects.toMatchObject({ status: 401 });
    await expect(a.login('op-s', 'pass-word-s', '192.0.2.46')).resolves.toMatchObject({
      user: { username: 'op-s' },
    });
  });

  it('with Redis gone, each node still counts its own and logins go on; the log says so once', async () => {
    await redis.stop();
    const before = logged.warnings.length;
    await expect(a.login('op-s', 'pass-word-s', '192.0.2.45')).resolves.toMatchObject({
      user: { username: 'op-s' },
    });
    for (let i = 0; i < 4; i++)
      await expect(a.login('op-s', 'guess', '192.0.2.45')).rejects.toMatchObject({ status: 401 });
    await expect(a.login('op-s', 'pass-word-s', '192.0.2.45')).rejects.toMatchObject({ status: 429 });
    const said = logged.warnings.slice(before);
    expect(said).toEqual(['auth: Redis does not answer; failed logins are counted on this node only']);
  }, 30_000);
});
