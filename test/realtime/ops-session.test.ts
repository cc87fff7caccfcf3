import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, opsClient, startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

/** Resolves with the reason of `session:end` and the time the socket was gone, or rejects after `ms`. */
function endOf(socket: Socket, ms = 8_000): Promise<{ reason: string; at: number }> {
  return new Promise((resolve, reject) => {
    let reason = '';
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.once('session:end', (e: { reason: string }) => {
      reason = e.reason;
    });
    socket.once('disconnect', () => {
      clearTimeout(timer);
      resolve({ reason, at: Date.now() });
    });
  });
}

describe('/ops sockets close within seconds of the end of their session', () => {
  let svc: TestService;
  const url = (p: string) => `${svc.httpUrl}${p}`;
  beforeAll(async () => {
    // Sessions of 4 s, a re-check and a purge every second, so expiry and other nodes' changes show quickly.
    svc = await startTestService({
      yaml: `${TEST_CITY_YAML}\nauth: { sessionTtlSeconds: 4, sessionCheckSeconds: 1, sessionPurgeSeconds: 1 }\n`,
    });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('logout: session:end {reason: logout}, then disconnected, at once', async () => {
    const token = await svc.login('op-logout');
    const socket = await opsClient(svc.httpUrl, token);
    const end = endOf(socket, 2_000);
    const t0 = Date.now();
    expect((await api(url('/api/auth/logout'), token, { method: 'POST' })).status).toBe(204);
    const e = await end;
    expect(e.reason).toBe('logout');
    expect(e.at - t0).toBeLessThan(2_000);
  });

  it('only the session that logged out: another session of the same user stays connected', async () => {
    const a = await svc.login('op-two');
    const b = await svc.login('op-two');
    const sa = await opsClient(svc.httpUrl, a);
    const sb = await opsClient(svc.httpUrl, b);
    const end = endOf(sa, 2_000);
    await api(url('/api/auth/logout'), a, { method: 'POST' });
    await end;
    expect(sb.connected).toBe(true);
    sb.close();
  });

  it('expiry: the socket of a 4 s session closes by itself', async () => {
    const socket = await opsClient(svc.httpUrl, await svc.login('op-expiry'));
    expect((await endOf(socket, 8_000)).reason).toBe('expired');
  });

  it('a session deleted in the store (another node, or `sharpeyes user revoke`) closes at the next re-check', async () => {
    const token = await svc.login('op-remote');
    const socket = await opsClient(svc.httpUrl, token);
    const end = endOf(socket, 3_000);
    svc.svc
      .need('store')
      .db.prepare("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = 'op-remote')")
      .run();
    expect((await end).reason).toBe('revoked');
    const closed = await svc.svc.metrics.registry.getSingleMetricAsString(
      'sharpeyes_auth_sockets_closed_total',
    );
    expect(closed).toMatch(/reason="revoked"} [1-9]/);
  });

  it('a user disabled in the store closes at the next re-check too', async () => {
    const socket = await opsClient(svc.httpUrl, await svc.login('op-disabled'));
    const end = endOf(socket, 3_000);
    svc.svc.need('store').db.prepare("UPDATE users SET disabled = 1 WHERE username = 'op-disabled'").run();
    expect((await end).reason).toBe('revoked');
  });

  it('expired sessions are purged periodically (no call from the test)', async () => {
    await svc.login('op-purge');
    const rows = () =>
      (
        svc.svc
          .need('store')
          .db.prepare(
            "SELECT COUNT(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'op-purge'",
          )
          .get() as { n: number }
      ).n;
    expect(rows()).toBe(1);
    await expect.poll(rows, { timeout: 8_000, interval: 200 }).toBe(0);
  });
});
