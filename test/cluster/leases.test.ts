import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import { LeaseStore } from '../../src/cluster/lease-store.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { SqliteStore, type Store } from '../../src/store/sqlite.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';

afterAll(() => stopSharedPostgres());

describe.each(['sqlite', 'postgres'] as const)('leases on %s', (dialect) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function store(): Promise<Store> {
    if (dialect === 'postgres') {
      const s = await openPostgresStore(await freshPostgresDatabase());
      cleanup.push(() => s.close());
      return s;
    }
    const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-leases-'));
    const s = new SqliteStore(join(dir, 'sharpeyes.db'));
    cleanup.push(async () => {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return s;
  }

  it('a lease is one holder’s until it expires, renewed only by its holder, then taken over', async () => {
    const leases = new LeaseStore((await store()).k);
    const t = 1_000_000;
    expect(await leases.acquire('timer:x', 'a', t, 1000)).toBe(true);
    expect(await leases.acquire('timer:x', 'b', t + 500, 1000)).toBe(false);
    expect(await leases.acquire('timer:x', 'a', t + 900, 1000)).toBe(true); // renewed to t + 1900
    expect(await leases.acquire('timer:x', 'b', t + 1500, 1000)).toBe(false);
    expect([...(await leases.renewAll(['timer:x'], 'b', t + 1600, 1000))]).toEqual([]);
    expect(await leases.acquire('timer:x', 'b', t + 1900, 1000)).toBe(true); // a did not renew: taken over
    expect([...(await leases.renewAll(['timer:x'], 'a', t + 2000, 1000))]).toEqual([]);
    expect(await leases.all()).toEqual([{ name: 'timer:x', holder: 'b', expiresAt: t + 2900 }]);
  });

  it('twenty nodes racing for one free or expired lease: exactly one wins each time', async () => {
    const s = await store();
    const leases = new LeaseStore(s.k);
    for (const at of [5_000, 10_000]) {
      const wins = await Promise.all(
        Array.from({ length: 20 }, (_, i) => leases.acquire('timer:race', `n${i}`, at, 1000)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
    }
  });

  it('jobs and cameras are spread over the live nodes, once each, and a node that dies hands all of them over within the lease time', async () => {
    const s = await store();
    const leaseMs = 1500;
    let aDead = false;
    const real = new LeaseStore(s.k);
    // Node A loses its database (its process hangs or dies): every lease call fails from then on.
    const dying = new Proxy(real, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (aDead) return Promise.reject(new Error('connection lost'));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const running = new Map<string, Set<string>>(); // job → nodes running it
    const make = (nodeId: string, leases: LeaseStore) => {
      const c = new Cluster({
        leases,
        nodeId,
        leaseMs,
        log: silentLogger,
        metrics: new Metrics({ defaults: false }),
      });
      for (const job of [
        'timer:escalation',
        'timer:supervision',
        'timer:command-expiry',
        'outbox:webhooks',
      ]) {
        c.run(job, {
          start: () => {
            running.set(job, (running.get(job) ?? new Set()).add(nodeId));
          },
          stop: () => {
            running.get(job)?.delete(nodeId);
          },
        });
      }
      c.setCameras(Array.from({ length: 12 }, (_, i) => `cam-${i}`));
      cleanup.push(() => c.stop());
      return c;
    };
    const a = make('node-a', dying);
    const b = make('node-b', real);
    await a.start();
    await b.start();
    const spread = () => {
      const owners = Array.from({ length: 12 }, (_, i) => `cam-${i}`).map((cam) =>
        [a, b].filter((n) => n.ownsCamera(cam)).map((n) => n.nodeId),
      );
      return owners;
    };
    // Both alive: every job on exactly one node, every camera on exactly one, both nodes have some.
    await expect
      .poll(
        () =>
          spread().every((o) => o.length === 1) &&
          new Set(spread().map((o) => o[0])).size === 2 &&
          [...running.values()].every((n) => n.size === 1),
        {
          timeout: 10_000,
          interval: 100,
        },
      )
      .toBe(true);
    const owners = spread().map((o) => o[0]);
    expect(new Set(owners)).toEqual(new Set(['node-a', 'node-b']));

    const killedAt = Date.now();
    aDead = true;
    await expect
      .poll(() => spread().every((o) => o.length === 1 && o[0] === 'node-b'), {
        timeout: 10_000,
        interval: 50,
      })
      .toBe(true);
    await expect
      .poll(() => [...running.values()].every((n) => n.size === 1 && n.has('node-b')), {
        timeout: 10_000,
        interval: 50,
      })
      .toBe(true);
    const takeover = Date.now() - killedAt;
    // The lease time plus one renewal round of the survivor, never two nodes at once.
    expect(takeover).toBeLessThan(leaseMs + b.tickMs + 1000);
    expect([...running.values()].every((n) => !n.has('node-a'))).toBe(true);
  });

  it('a node joining takes its share from a running node, and nothing runs twice', async () => {
    const s = await store();
    const leases = new LeaseStore(s.k);
    const cams = Array.from({ length: 20 }, (_, i) => `cam-${i}`);
    const make = (nodeId: string) => {
      const c = new Cluster({
        leases,
        nodeId,
        leaseMs: 1500,
        log: silentLogger,
        metrics: new Metrics({ defaults: false }),
      });
      c.setCameras(cams);
      cleanup.push(() => c.stop());
      return c;
    };
    const a = make('node-a');
    await a.start();
    expect(cams.filter((c) => a.ownsCamera(c))).toHaveLength(20);
    const b = make('node-b');
    await b.start();
    await expect
      .poll(() => cams.filter((c) => b.ownsCamera(c)).length, { timeout: 10_000, interval: 100 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => cams.every((c) => a.ownsCamera(c) !== b.ownsCamera(c)), { timeout: 10_000, interval: 100 })
      .toBe(true);
    await b.stop(); // a clean leave: released at once, taken back without waiting for expiry
    await expect
      .poll(() => cams.filter((c) => a.ownsCamera(c)).length, { timeout: 3_000, interval: 100 })
      .toBe(20);
  });
});
