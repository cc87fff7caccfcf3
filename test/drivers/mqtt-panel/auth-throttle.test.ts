import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthThrottle } from '../../../drivers/mqtt-panel/auth-throttle.js';
import { EmbeddedPanelBroker, type PanelBrokerHooks } from '../../../drivers/mqtt-panel/embedded-broker.js';

function hooks(rejects: string[]): PanelBrokerHooks {
  return {
    authenticate: (id, secret) => id === 'p1' && secret === 'secret-p1',
    knownPanel: (id) => id === 'p1',
    onEvent: async () => {},
    onStatus: () => {},
    onHeartbeat: () => {},
    onReject: (_id, reason) => rejects.push(reason),
  };
}

describe('failed panel logins are throttled', () => {
  let broker: EmbeddedPanelBroker | undefined;
  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
  });

  it('after 3 failures from an address, even the right secret is refused for the minute', async () => {
    const rejects: string[] = [];
    broker = new EmbeddedPanelBroker({
      port: 0,
      host: '127.0.0.1',
      hooks: hooks(rejects),
      maxFailedLoginsPerMinute: 3,
    });
    const { port } = await broker.start();
    const url = `mqtt://127.0.0.1:${port}`;
    const attempt = (password: string) =>
      mqtt.connectAsync(url, { username: 'p1', password, clientId: 'p1', reconnectPeriod: 0 });
    for (let i = 0; i < 3; i++) await expect(attempt('guess')).rejects.toThrow(/Bad username or password/);
    await expect(attempt('secret-p1')).rejects.toThrow(/Not authorized/);
    expect(rejects).toEqual(['bad_credentials', 'bad_credentials', 'bad_credentials', 'throttled']);
  });

  it('counts per address and per panel id, and forgets after a minute', () => {
    let t = 0;
    const th = new AuthThrottle({ maxPerMinute: 2, now: () => t });
    th.failed('10.0.0.1', 'p1');
    th.failed('10.0.0.2', 'p1');
    expect(th.blocked('10.0.0.3', 'p1')).toBe(true); // the panel id is under attack from anywhere
    expect(th.blocked('10.0.0.3', 'p2')).toBe(false);
    t = 60_000;
    expect(th.blocked('10.0.0.3', 'p1')).toBe(false);
  });

  it('stays bounded however many usernames an attacker sends', () => {
    const th = new AuthThrottle({ maxPerMinute: 5, maxKeys: 1000 });
    for (let i = 0; i < 50_000; i++) th.failed('10.0.0.9', `user-${i}`);
    expect(th.size).toBeLessThanOrEqual(1000);
  });
});
