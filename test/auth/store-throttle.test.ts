import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreLoginThrottle } from '../../src/auth/store-throttle.js';
import { silentLogger } from '../../src/log.js';
import { stopSharedPostgres, storeBackends, type TestStore } from '../helpers/postgres.js';

afterAll(() => stopSharedPostgres());

/**
 * The count of failed logins in the store (migration 119): a fixed window per key from its first
 * failure, one upsert a failure. Run on both databases: the statements are written once.
 */
describe.each(storeBackends('store-throttle'))('StoreLoginThrottle on %s', (_name, open) => {
  let t: TestStore;
  let clock = 1_000_000;
  let throttle: StoreLoginThrottle;

  beforeEach(async () => {
    t = await open();
    clock = 1_000_000;
    throttle = new StoreLoginThrottle(t.store.k, {
      perUserAndAddress: 3,
      perAddress: 5,
      log: silentLogger,
      now: () => clock,
    });
  });
  afterEach(async () => {
    throttle.close();
    await t.cleanup();
  });

  it('refuses at the limit until the window that began at the first failure is over, then counts anew', async () => {
    await throttle.fail('Op', '198.51.100.7');
    clock += 20_000;
    await throttle.fail('op', '198.51.100.7');
    await throttle.fail('OP', '198.51.100.7');
    expect(await throttle.check('op', '198.51.100.7')).toEqual({
      limited: true,
      by: 'user',
      retryAfterSeconds: 40,
    });
    // Another address, and another user at this address, are not held (the address has 3 of 5).
    expect(await throttle.check('op', '203.0.113.9')).toEqual({ limited: false });
    expect(await throttle.check('other', '198.51.100.7')).toEqual({ limited: false });
    clock += 40_000;
    expect(await throttle.check('op', '198.51.100.7')).toEqual({ limited: false });
    // A failure after the window starts a new one at one, not at four.
    await throttle.fail('op', '198.51.100.7');
    expect(await throttle.check('op', '198.51.100.7')).toEqual({ limited: false });
    const rows = await t.store.k.selectFrom('login_failures').selectAll().orderBy('key').execute();
    expect(rows.map((r) => [r.key.slice(0, 2), Number(r.failures), Number(r.window_end_ms)])).toEqual([
      ['a:', 1, clock + 60_000],
      ['u:', 1, clock + 60_000],
    ]);
  });

  it('counts an address over usernames, an IPv6 address by its /64; a good login clears the username only', async () => {
    for (let i = 0; i < 5; i++) await throttle.fail(`user-${i}`, `2001:db8:1:2::${i + 1}`);
    expect(await throttle.check('someone', '2001:db8:1:2:ffff::9')).toEqual({
      limited: true,
      by: 'address',
      retryAfterSeconds: 60,
    });
    await throttle.succeed('user-0', '2001:db8:1:2::1');
    expect(await throttle.check('someone', '2001:db8:1:2::1')).toMatchObject({ by: 'address' });
    // A username PostgreSQL's text could not hold (NUL) is counted like any other.
    await throttle.fail('a\u0000b', '192.0.2.1');
    expect(await t.store.k.selectFrom('login_failures').select('key').execute()).toHaveLength(7);
  });

  it('counts every failure of a burst (a shift change, or a guesser firing at once), each waiting its turn for the two connections it may hold', async () => {
    const warned: string[] = [];
    const log = { ...silentLogger, warn: (_o: unknown, msg?: string) => void warned.push(String(msg)) };
    const burst = new StoreLoginThrottle(t.store.k, {
      perUserAndAddress: 50,
      perAddress: 100,
      log: log as typeof silentLogger,
      now: () => clock,
    });
    try {
      await Promise.all(Array.from({ length: 20 }, () => burst.fail('op', '198.51.100.7')));
      const rows = await t.store.k.selectFrom('login_failures').selectAll().orderBy('key').execute();
      expect(rows.map((r) => [r.key.slice(0, 2), Number(r.failures)])).toEqual([
        ['a:', 20],
        ['u:', 20],
      ]);
      expect(warned).toEqual([]);
    } finally {
      burst.close();
    }
  });

  it('purges the windows that are over', async () => {
    await throttle.fail('op', '198.51.100.7');
    clock += 30_000;
    await throttle.fail('op', '192.0.2.1');
    expect(await throttle.purge(clock + 30_000)).toBe(2);
    expect(await t.store.k.selectFrom('login_failures').select('key').execute()).toHaveLength(2);
  });
});
