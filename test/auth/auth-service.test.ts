import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthService, hashToken } from '../../src/auth/auth-service.js';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../../src/auth/passwords.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-auth-'));
const store = new SqliteStore(join(dir, 'db.sqlite'));
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const hashOf = (username: string) =>
  (
    store.db.prepare('SELECT password_hash FROM users WHERE username = ?').get(username) as {
      password_hash: string;
    }
  ).password_hash;

describe('passwords', () => {
  it("hashes with scrypt at OWASP's cost (N=2^17, r=8, p=1) and a salt, and verifies", async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse', 14);
    expect(a).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(b).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('wrong horse', a)).toBe(false);
    expect(await verifyPassword('correct horse', b)).toBe(true);
  });

  it.each([
    ['another algorithm', 'md5$abc'],
    [
      'an N that is not a power of two',
      'scrypt$100000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ],
    [
      'an N of 2^24 (2 GiB: a tampered row must not exhaust memory)',
      'scrypt$16777216$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ],
    ['a hash too short', 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA'],
  ])('refuses a stored hash with %s', async (_what, stored) => {
    expect(await verifyPassword('x', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  });

  it.each([
    [14, 17, true],
    [17, 17, false],
    [18, 17, false],
  ])('a hash at 2^%i needs a rehash at cost %i: %s', (has, want, expected) => {
    expect(needsRehash(dummyHash(has), want)).toBe(expected);
  });
});

describe('AuthService', () => {
  let clock = Date.parse('2026-11-22T08:00:00Z');
  const auth = new AuthService(
    store,
    { sessionTtlSeconds: 3600, loginAttemptsPerMinute: 3, passwordHashCost: 14 },
    () => clock,
  );

  it('logs in, resolves the token, gives the session a public reference, and expires it', async () => {
    await auth.createUser({ username: 'op1', password: 'pass-word-1', role: 'operator', scope: 'north' });
    const { token, user, ref } = await auth.login('op1', 'pass-word-1', '10.0.0.1');
    expect(user).toMatchObject({ username: 'op1', role: 'operator', scope: 'north' });
    expect(user).not.toHaveProperty('passwordHash');
    expect(ref).toMatch(/^[0-9a-f]{32}$/);
    expect(await auth.resolveSession(token)).toMatchObject({ user: { username: 'op1' }, ref, via: 'bearer' });
    const row = store.db.prepare('SELECT token_hash, ref, address FROM sessions WHERE ref = ?').get(ref) as {
      token_hash: string;
      address: string;
    };
    expect(row.token_hash).toBe(hashToken(token));
    expect(row.address).toBe('10.0.0.1');
    clock += 3601_000;
    expect(await auth.resolve(token)).toBeUndefined();
    expect(await auth.sessionByRef(ref)).toBeUndefined();
    // The purge deletes it.
    expect(await auth.purge()).toBeGreaterThanOrEqual(1);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE ref = ?').get(ref)).toEqual({ n: 0 });
  });

  it('refuses bad credentials with 401 and throttles with 429 (with Retry-After seconds)', async () => {
    await expect(auth.login('op1', 'nope')).rejects.toMatchObject({ status: 401, code: 'bad_credentials' });
    await expect(auth.login('ghost', 'nope')).rejects.toMatchObject({ status: 401 });
    await expect(auth.login('op1', 'nope')).rejects.toMatchObject({ status: 401 });
    await expect(auth.login('op1', 'nope')).rejects.toMatchObject({ status: 401 });
    await expect(auth.login('op1', 'pass-word-1')).rejects.toMatchObject({
      status: 429,
      code: 'rate_limited',
      data: { retryAfterSeconds: 60 },
    });
    clock += 61_000;
    await expect(auth.login('op1', 'pass-word-1')).resolves.toMatchObject({ user: { username: 'op1' } });
  });

  it('upgrades a weaker stored hash at the next good login, and the password still works', async () => {
    const strong = new AuthService(store, { passwordHashCost: 15 }, () => clock);
    await auth.createUser({
      username: 'old-hash',
      password: 'pass-word-2',
      role: 'operator',
      scope: 'north',
    });
    expect(hashOf('old-hash')).toMatch(/^scrypt\$16384\$/);
    await strong.login('old-hash', 'pass-word-2');
    await expect.poll(() => hashOf('old-hash')).toMatch(/^scrypt\$32768\$/);
    await expect(strong.login('old-hash', 'pass-word-2')).resolves.toMatchObject({
      user: { username: 'old-hash' },
    });
    // A re-hash is not a password change.
    expect(
      store.db.prepare("SELECT password_changed_at FROM users WHERE username = 'old-hash'").get(),
    ).toEqual({
      password_changed_at: null,
    });
  });

  it('a disabled user cannot log in, and the answer is the same as a wrong password', async () => {
    await auth.createUser({ username: 'gone', password: 'pass-word-3', role: 'operator', scope: 'north' });
    const user = (await store.users.findByUsername('gone'))!;
    const { token } = await auth.login('gone', 'pass-word-3');
    await auth.setDisabled(user, true);
    expect(await auth.resolve(token)).toBeUndefined();
    await expect(auth.login('gone', 'pass-word-3')).rejects.toMatchObject({
      status: 401,
      code: 'bad_credentials',
    });
    await auth.setDisabled(user, false);
    // Enabling again does not bring the old session back.
    expect(await auth.resolve(token)).toBeUndefined();
    await expect(auth.login('gone', 'pass-word-3')).resolves.toBeDefined();
  });

  it('logout, revoke and a password change close the watched sockets of those sessions at once', async () => {
    await auth.createUser({ username: 'watched', password: 'pass-word-4', role: 'operator', scope: 'north' });
    const user = (await store.users.findByUsername('watched'))!;
    const closed: string[] = [];
    const watch = async (name: string) => {
      const { token, ref, expiresAt } = await auth.login('watched', 'pass-word-4');
      auth.watch.add({
        ref,
        userId: user.id,
        expiresAtMs: Date.parse(expiresAt),
        close: (r) => closed.push(`${name}:${r}`),
      });
      return token;
    };
    const a = await watch('a');
    await watch('b');
    await auth.logout(a);
    expect(closed).toEqual(['a:logout']);
    await auth.revokeSessions(user);
    expect(closed).toEqual(['a:logout', 'b:revoked']);
    await watch('c');
    await auth.setPassword(user, 'a-new-password');
    expect(closed).toEqual(['a:logout', 'b:revoked', 'c:password_changed']);
    await expect(auth.login('watched', 'pass-word-4')).rejects.toMatchObject({ status: 401 });
    await expect(auth.login('watched', 'a-new-password')).resolves.toBeDefined();
  });

  it('the periodic check closes a socket whose session another node deleted, and an expired one', async () => {
    await auth.createUser({ username: 'remote', password: 'pass-word-5', role: 'operator', scope: 'north' });
    const user = (await store.users.findByUsername('remote'))!;
    const closed: string[] = [];
    const s1 = await auth.login('remote', 'pass-word-5');
    const s2 = await auth.login('remote', 'pass-word-5');
    auth.watch.add({
      ref: s1.ref,
      userId: user.id,
      expiresAtMs: Date.parse(s1.expiresAt),
      close: (r) => closed.push(`1:${r}`),
    });
    auth.watch.add({
      ref: s2.ref,
      userId: user.id,
      expiresAtMs: clock + 1000,
      close: (r) => closed.push(`2:${r}`),
    });
    store.db.prepare('DELETE FROM sessions WHERE ref = ?').run(s1.ref);
    await auth.watch.check();
    expect(closed).toEqual(['1:revoked']);
    clock += 1000;
    await auth.watch.check();
    expect(closed).toEqual(['1:revoked', '2:expired']);
    expect(auth.watch.size).toBe(0);
  });
});
