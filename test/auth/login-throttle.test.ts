import { describe, expect, it } from 'vitest';
import { addressKey, LoginThrottle } from '../../src/auth/login-throttle.js';

describe('login throttle', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('counts %s as %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it('limits one username at one address, then lets it try again after the window', () => {
    let t = 0;
    const th = new LoginThrottle({ perUserAndAddress: 3, perAddress: 100, now: () => t });
    for (let i = 0; i < 3; i++) th.fail('op1', '10.0.0.1');
    expect(th.check('op1', '10.0.0.1')).toEqual({ limited: true, by: 'user', retryAfterSeconds: 60 });
    expect(th.check('OP1', '10.0.0.1').limited).toBe(true); // usernames compare case-blind
    expect(th.check('op1', '10.0.0.2').limited).toBe(false);
    t += 30_000;
    expect(th.check('op1', '10.0.0.1')).toMatchObject({ retryAfterSeconds: 30 });
    t += 30_000;
    expect(th.check('op1', '10.0.0.1').limited).toBe(false);
  });

  it('limits an address spraying usernames, and a whole IPv6 /64 as one address', () => {
    const th = new LoginThrottle({ perUserAndAddress: 3, perAddress: 10, now: () => 0 });
    for (let i = 0; i < 10; i++) th.fail(`user-${i}`, `2001:db8:0:1::${i}`);
    expect(th.check('someone-new', '2001:db8:0:1::ffff')).toMatchObject({ limited: true, by: 'address' });
    expect(th.check('someone-new', '2001:db8:0:2::1').limited).toBe(false);
  });

  it('a good login clears that username at that address', () => {
    const th = new LoginThrottle({ perUserAndAddress: 2, perAddress: 100, now: () => 0 });
    th.fail('op1', 'a');
    th.succeed('op1', 'a');
    th.fail('op1', 'a');
    expect(th.check('op1', 'a').limited).toBe(false);
  });

  it('keeps bounded memory whatever the attacker sends: 100,000 usernames from 5,000 addresses', () => {
    const th = new LoginThrottle({
      perUserAndAddress: 10,
      perAddress: 1_000_000,
      maxKeys: 2000,
      now: () => 0,
    });
    for (let i = 0; i < 100_000; i++) th.fail(`u${i}`, `10.0.${(i % 5000) >> 8}.${i % 256}`);
    expect(th.size.users).toBe(2000);
    expect(th.size.addresses).toBeLessThanOrEqual(2000);
  });
});
