import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemStatus, SystemTrouble } from '../../src/health/system-watch.js';
import type { RecordingHealth } from '../../src/recording/recording-module.js';
import { QUIET_API_CITY_YAML } from '../api/api-fixture.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startTestService, systemDesk, type TestService } from '../helpers/service.js';

/**
 * Two nodes of a city on one PostgreSQL database and one Redis, in this process, and a desk connected
 * to node a while node b's recording fails. A supervisor whose requests land on node a takes charge
 * of node b's trouble: the acknowledgement is kept under the start node b gave that trouble, whatever
 * start the desk sent (a desk may hold an earlier one), and a trouble node b does not have is not
 * acknowledged at all. Node b stopping says so to the desk on node a.
 */
describe('another node’s trouble (two nodes, one database)', () => {
  let redis: TestRedis;
  let a: TestService;
  let b: TestService | undefined;
  let desk: ReturnType<typeof systemDesk>;
  const recordingOfB = (s: SystemStatus): SystemTrouble | undefined =>
    s.node === 'node-b' ? s.troubles.find((t) => t.kind === 'recording') : undefined;

  beforeAll(async () => {
    redis = await startRedis();
    const url = await freshPostgresDatabase();
    const yaml = (node: string) =>
      `${QUIET_API_CITY_YAML}storage: { systemWatchSeconds: 1, database: { kind: postgres, url: "${url}", poolSize: 4 } }
realtime: { redis: "${redis.url}" }
cluster: { nodeId: ${node} }
`;
    a = await startTestService({ yaml: yaml('node-a') });
    b = await startTestService({ yaml: yaml('node-b') });
    // Node b's recording fails to write (recording is off in this city: its health stands in).
    const failing: RecordingHealth = {
      camerasFailing: 2,
      camerasDropping: 0,
      storageShort: 0,
      storageFull: 0,
    };
    b.svc.parts.set('recording', { health: () => failing });
    desk = systemDesk(a.httpUrl, await a.login('nodes-operator', 'operator', 'city'));
    await desk.connected;
  }, 120_000);
  afterAll(async () => {
    desk?.socket.close();
    await b?.close();
    await a?.close();
    await redis?.stop();
    await stopSharedPostgres();
  }, 60_000);

  it('an acknowledgement sent to node a with a start node b’s trouble never had is kept under its real start; one node b has no trouble for is refused', async () => {
    await expect.poll(() => desk.heard.map(recordingOfB).find(Boolean), { timeout: 15_000 }).toBeDefined();
    const real = desk.heard.map(recordingOfB).find(Boolean)!.since;

    const sup = await a.login('nodes-sup', 'supervisor', 'city');
    const ack = (body: Record<string, unknown>) =>
      fetch(`${a.httpUrl}/api/system/troubles/ack`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sup}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // A start the trouble never had: a minute before its real one (a desk that heard an earlier one).
    const shown = new Date(Date.parse(real) - 60_000).toISOString();
    const res = await ack({ node: 'node-b', kind: 'recording', since: shown });
    expect(res.status).toBe(200);
    const taken = (await res.json()) as { since: string; first: boolean; ack: { by: string } };
    expect(taken).toMatchObject({ first: true, ack: { by: 'nodes-sup' } });
    expect(taken.since).toBe(real);
    // Node b tells every desk who took charge, for the trouble as it stands.
    await expect
      .poll(() => desk.heard.map(recordingOfB).find((t) => t?.ack)?.ack?.by, { timeout: 10_000 })
      .toBe('nodes-sup');
    expect(desk.heard.map(recordingOfB).find((t) => t?.ack)?.since).toBe(real);
    // The audit log keeps the start node b gave it.
    const audited = await a.svc.need('audit').list({ action: 'system.trouble.ack' });
    expect(audited.map((e) => e.detail)).toEqual([{ kind: 'recording', since: real }]);

    // Node b has no storage trouble, and there is no node-c: nothing to take charge of, nothing kept.
    for (const body of [
      { node: 'node-b', kind: 'storage', since: real },
      { node: 'node-c', kind: 'recording', since: real },
    ]) {
      const refused = await ack(body);
      expect(refused.status, JSON.stringify(body)).toBe(409);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('trouble_not_standing');
    }
    expect(await a.svc.need('audit').list({ action: 'system.trouble.ack' })).toHaveLength(1);
    const rows = await a.svc.need('store').k.selectFrom('system_trouble_acks').selectAll().execute();
    expect(rows.map((r) => [r.node, r.trouble, r.since])).toEqual([['node-b', 'recording:', real]]);
  }, 90_000);

  it('node b stopping while in trouble tells the desk on node a at once, which forgets its troubles', async () => {
    await expect.poll(() => desk.heard.map(recordingOfB).find(Boolean), { timeout: 15_000 }).toBeDefined();
    const before = desk.heard.length;
    const stopping = b!;
    b = undefined;
    await stopping.close();
    await expect
      .poll(() => desk.heard.slice(before).find((s) => s.node === 'node-b' && s.stopped), { timeout: 5_000 })
      .toMatchObject({ level: 'ok', troubles: [] });
  });
});
