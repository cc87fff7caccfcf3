import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemStatus, SystemTrouble } from '../../src/health/system-watch.js';
import type { RecordingHealth } from '../../src/recording/recording-module.js';
import { QUIET_API_CITY_YAML } from '../api/api-fixture.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startTestService, systemDesk, type TestService } from '../helpers/service.js';

/**
 * Two nodes of a city on one PostgreSQL database and one Redis, in this process, and a desk connected
 * to node a while node b's recording fails. Node b stopping says so to the desk on node a.
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
