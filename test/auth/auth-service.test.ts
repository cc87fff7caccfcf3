import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../src/auth/auth-service.js';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-auth-'));
const store = new SqliteStore(join(dir, 'db.sqlite'));
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('passwords', () => {
  it('hashes with scrypt and a salt, and verifies', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('wrong horse', a)).toBe(false);
    expect(await verifyPassword('x', 'md5$abc')).toBe(false);
  });
});

describe('AuthService', () => {
  let clock = Date.parse('2026-11-22T08:00:00Z');
  const auth = new AuthService(store, { sessionTtlSeconds: 3600, loginAttemptsPerMinute: 3 }, () => clock);

  it('logs in, resolves the token, and expires the session', async () => {
    await auth.createUser({ username: 'op1', password: 'pass-word-1', role: 'operator', scope: 'north' });
    const { token, user } = await auth.login('op1', 'pass-word-1');
    expect(user).toMatchObject({ username: 'op1', role: 'operator', scope: 'north' });
    expect(user).not.toHaveProperty('passwordHash');
    expect(await auth.resolve(token)).toMatchObject({ username: 'op1' });
    const row = store.db.prepare('SELECT token_hash FROM sessions').get() as { token_hash: string };
    expect(row.token_hash).not.toBe(token);
    clock += 3601_000;
    expect(await auth.resolve(token)).toBeUndefined();
  });

  it('refuses bad credentials with 401 and rate-limits with 429', async () => {
    await expect(auth.login('op1', 'nope')).rejects.toMatchObject({ status: 401, code: 'bad_credentials' });
    await expect(auth.login('ghost', 'nope')).rejects.toMatchObject({ status: 401 });
    await expect(auth.login('op1', 'nope')).rejects.toMatchObject({ status: 401 });
    await expect(auth.login('op1', 'nope')).rejects.toMatchObject({ status: 401 });
    await expect(auth.login('op1', 'pass-word-1')).rejects.toMatchObject({
      status: 429,
      code: 'rate_limited',
    });
    clock += 61_000;
    await expect(auth.login('op1', 'pass-word-1')).resolves.toMatchObject({ user: { username: 'op1' } });
  });
});
