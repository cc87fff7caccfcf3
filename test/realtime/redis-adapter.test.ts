import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventKey, type NormalizedEvent } from '../../src/core/events.js';
import { createDatabase, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { opsClient, startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

const panic = (id: string, site = 'shop-1', device = 'panel-1'): NormalizedEvent => {
  const now = new Date().toISOString();
  return {
    key: eventKey('panel', device, id),
    source: 'panel',
    device,
    site,
    type: 'panic',
    zone: '1',
    ts: now,
    receivedAt: now,
  };
};

/** Incident ids a socket got, every time it got one (so a second push of one incident shows). */
function collect(socket: Socket): string[] {
  const got: string[] = [];
  socket.on('incident:new', (inc: { id: string }) => got.push(inc.id));
  return got;
}

/**
 * Issue 16: two nodes on one PostgreSQL and one Redis. An incident committed through node A reaches an
 * operator connected to node B, once; a desk of another station on either node gets nothing.
 */
describe('Socket.IO across nodes (realtime.redis)', () => {
  let pg: TestPostgres;
  let redis: TestRedis;
  let a: TestService;
  let b: TestService;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    const url = await createDatabase(pg, 'city');
    const yaml = (node: string) => `${TEST_CITY_YAML}
storage: { database: { kind: postgres, url: "${url}", poolSize: 4 } }
realtime: { redis: "${redis.url}" }
cluster: { nodeId: ${node}, leaseSeconds: 3 }
`;
    a = await startTestService({ yaml: yaml('node-a') });
    b = await startTestService({ yaml: yaml('node-b') });
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await b?.close();
    await a?.close();
    await redis?.stop();
    await pg?.stop();
  });

  it('an operator on node B gets an incident raised through node A once, and a desk of another station none', async () => {
    const northOnB = await opsClient(b.httpUrl, await b.login('op-north', 'operator', 'north'));
    const northOnA = await opsClient(a.httpUrl, await a.login('op-north-a', 'operator', 'north'));
    const southOnB = await opsClient(b.httpUrl, await b.login('op-south', 'operator', 'south'));
    sockets.push(northOnB, northOnA, southOnB);
    const [gotB, gotA, gotSouth] = [collect(northOnB), collect(northOnA), collect(southOnB)];

    const out = await a.svc.need('core').ingest(panic('p-1'));
    const id = out.incident!;
    await expect.poll(() => gotB, { timeout: 10_000 }).toContain(id);
    await expect.poll(() => gotA, { timeout: 10_000 }).toContain(id);
    // Long enough for a second copy (one per node, through the adapter) to arrive if there were one.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(gotB.filter((x) => x === id)).toEqual([id]);
    expect(gotA.filter((x) => x === id)).toEqual([id]);
    expect(gotSouth).toEqual([]);
  });

  it('each exclusive outbox sink and timer is held by exactly one node', async () => {
    const holders = async () =>
      (
        await a.svc
          .need('store')
          .k.selectFrom('leases')
          .selectAll()
          .where('expires_at', '>', Date.now())
          .execute()
      )
        .map((l) => `${l.name}=${l.holder}`)
        .sort();
    await expect
      .poll(async () => (await holders()).filter((h) => !h.startsWith('node:')).map((h) => h.split('=')[0]), {
        timeout: 15_000,
      })
      .toEqual(
        expect.arrayContaining([
          'outbox:audit',
          'outbox:panel-acks',
          'timer:clips',
          'timer:command-expiry',
          'timer:escalation',
          'timer:outbox-purge',
          'timer:retention',
          'timer:supervision',
          'timer:verification',
        ]),
      );
    const names = (await holders()).map((h) => h.split('=')[0]);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n?.startsWith('node:')).sort()).toEqual(['node:node-a', 'node:node-b']);
  });
});
