import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SERVICE_BACKENDS, stopSharedPostgres } from '../helpers/postgres.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import { QUIET_API_CITY_YAML } from './api-fixture.js';

afterAll(() => stopSharedPostgres(), 60_000);

type Err = { error: { code: string; message: string } };

/**
 * One session ends once: a logout posted twice (a double click, a retry after a slow answer), one
 * after the other or at the same instant, is one `logout` row in the audit log, on SQLite and on
 * PostgreSQL. The answers stay what they were: 204 for a logout of a live session, 401
 * `unauthenticated` for a token whose session has already ended.
 */
describe.each(SERVICE_BACKENDS)('logging out twice on %s', (_name, storage) => {
  let svc: TestService;
  const url = (p: string) => `${svc.httpUrl}${p}`;
  const logout = (token: string) => api<Err | undefined>(url('/api/auth/logout'), token, { method: 'POST' });
  const logoutRows = async (username: string) =>
    await svc.svc.need('audit').list({ action: 'logout', target: `user:${username}` });

  beforeEach(async () => {
    svc = await startTestService({ yaml: `${QUIET_API_CITY_YAML}${await storage()}` });
  }, 120_000);
  afterEach(async () => svc?.close());

  it('one after the other: 204, then 401 unauthenticated, and one logout row', async () => {
    const token = await svc.login('op-twice', 'operator', 'north');
    expect((await logout(token)).status).toBe(204);
    const again = await logout(token);
    expect(again.status).toBe(401);
    expect(again.body?.error.code).toBe('unauthenticated');
    expect(await logoutRows('op-twice')).toHaveLength(1);
  });

  it('at the same instant: one logout row for the session, each answer 204 or 401', async () => {
    // Several rounds with several posts each: which of them reaches the store first varies.
    for (let round = 1; round <= 5; round++) {
      const username = `op-race-${round}`;
      const token = await svc.login(username, 'operator', 'north');
      const answers = await Promise.all(Array.from({ length: 6 }, () => logout(token)));
      for (const a of answers) {
        expect([204, 401], `round ${round}`).toContain(a.status);
        if (a.status === 401) expect(a.body?.error.code).toBe('unauthenticated');
      }
      expect(answers.filter((a) => a.status === 204).length, `round ${round}`).toBeGreaterThanOrEqual(1);
      const rows = await logoutRows(username);
      expect(rows, `round ${round}: logout rows for one session`).toHaveLength(1);
      expect((await api(url('/api/me'), token)).status).toBe(401);
    }
  });
});
