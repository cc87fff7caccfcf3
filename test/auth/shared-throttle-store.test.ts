import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';
import { startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

type Refusal = { status: number; code: string; data: { retryAfterSeconds: number } };
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Refusal,
  );

/** A service log that keeps its warnings, to read what a duty engineer would. */
function keptLog() {
  const warnings: string[] = [];
  const log = createLogger({
    level: 'warn',
    destination: {
      write: (line: string) => {
        const o = JSON.parse(line) as { level: number; msg: string };
        if (o.level === 40) warnings.push(o.msg);
      },
    },
  });
  return { log, warnings };
}

/**
 * Two nodes of a city on one PostgreSQL database and no Redis, behind a balancer that sends a
 * guesser's attempts to either: the limit of failed logins holds over both, counted in the database.
 */
describe('failed logins counted across nodes in the database (PostgreSQL, no Redis)', () => {
  let url: string;
  let a: TestService;
  let b: TestService;
  const logged = keptLog();
  const login = (node: TestService, user: string, password: string, from: string) =>
    node.svc.need('auth').login(user, password, from);

  beforeAll(async () => {
    url = await freshPostgresDatabase();
    const yaml = (node: string) =>
      `${TEST_CITY_YAML}storage: { database: { kind: postgres, url: "${url}", poolSize: 4 } }
auth: { loginAttemptsPerMinute: 4, loginAttemptsPerAddressPerMinute: 20 }
cluster: { nodeId: ${node} }
`;
    a = await startTestService({ yaml: yaml('node-a'), log: logged.log });
    b = await startTestService({ yaml: yaml('node-b') });
    for (const username of ['op-n', 'op-s'])
      await a.svc
        .need('auth')
        .createUser({ username, password: `pass-word-${username}`, role: 'operator', scope: 'north' });
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await stopSharedPostgres();
  }, 60_000);

  it('four failures spread over two nodes refuse the fifth attempt on either, with the time to wait', async () => {
    // Each node has seen two: on its own count (limit 4) either would let the guesser go on.
    for (const node of [a, b, a, b])
      await expect(login(node, 'op-n', 'guess', '198.51.100.7')).rejects.toMatchObject({ status: 401 });
    for (const node of [a, b]) {
      const refused = await refusal(login(node, 'op-n', 'pass-word-op-n', '198.51.100.7'));
      expect(refused).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(refused?.data.retryAfterSeconds).toBeGreaterThan(50);
      expect(refused?.data.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    // Another address is not held for it.
    await expect(login(b, 'op-n', 'pass-word-op-n', '203.0.113.9')).resolves.toMatchObject({
      user: { username: 'op-n' },
    });
    await expect(login(a, 'op-n', 'pass-word-op-n', '198.51.100.7')).rejects.toMatchObject({ status: 429 });
    // Failures from one address over many usernames are counted over both nodes too (limit 20).
    for (let i = 0; i < 20; i++)
      await expect(login(i % 2 ? a : b, `nobody-${i}`, 'guess', '192.0.2.80')).rejects.toMatchObject({
        status: 401,
      });
    await expect(refusal(login(a, 'op-s', 'pass-word-op-s', '192.0.2.80'))).resolves.toMatchObject({
      status: 429,
      code: 'rate_limited',
    });
  });

  it('a good login clears its count on every node', async () => {
    for (const node of [a, a, a])
      await expect(login(node, 'op-s', 'guess', '192.0.2.44')).rejects.toMatchObject({ status: 401 });
    await expect(login(b, 'op-s', 'pass-word-op-s', '192.0.2.44')).resolves.toMatchObject({
      user: { username: 'op-s' },
    });
    // One more failure on a, whose own count holds four now: on the shared count, cleared by the good
    // login on b, it is one of four, so the owner logs in on a too.
    await expect(login(a, 'op-s', 'guess', '192.0.2.44')).rejects.toMatchObject({ status: 401 });
    await expect(refusal(login(a, 'op-s', 'pass-word-op-s', '192.0.2.44'))).resolves.toBeUndefined();
  });

  it('old windows are purged', async () => {
    const k = a.svc.need('store').k;
    const rows = () => k.selectFrom('login_failures').select('key').execute();
    expect((await rows()).length).toBeGreaterThan(0);
    await a.svc.need('auth').purgeLoginFailures(Date.now() + 61_000);
    expect(await rows()).toEqual([]);
  });

  it('a database that does not answer in time leaves each node its own count; logins go on; the log says so once', async () => {
    // Another session holds the table: every query on it waits, as on a database slow to answer.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE login_failures IN ACCESS EXCLUSIVE MODE');
      const before = logged.warnings.length;
      const t0 = Date.now();
      await expect(login(a, 'op-s', 'pass-word-op-s', '192.0.2.45')).resolves.toMatchObject({
        user: { username: 'op-s' },
      });
      expect(Date.now() - t0).toBeLessThan(2_000);
      for (let i = 0; i < 4; i++) {
        const t = Date.now();
        await expect(login(a, 'op-s', 'guess', '192.0.2.45')).rejects.toMatchObject({ status: 401 });
        expect(Date.now() - t).toBeLessThan(2_000);
      }
      await expect(login(a, 'op-s', 'pass-word-op-s', '192.0.2.45')).rejects.toMatchObject({ status: 429 });
      expect(logged.warnings.slice(before)).toEqual([
        'auth: the database does not answer in time; failed logins are counted on this node only',
      ]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  }, 30_000);
});
