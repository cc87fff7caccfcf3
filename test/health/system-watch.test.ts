import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import type { HealthChecks } from '../../src/api/health-routes.js';
import type { AuditEntry } from '../../src/audit/audit-log.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import { ackNode, type TroubleAck, TroubleAcks } from '../../src/health/system-trouble-acks.js';
import { NODE_GONE_MS, type SystemStatus, SystemWatch, troublesIn } from '../../src/health/system-watch.js';
import { type Logger, silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { SinkStatus } from '../../src/outbox/outbox-dispatcher.js';
import { QUIET_API_CITY_YAML } from '../api/api-fixture.js';
import { storeBackends } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import {
  metricSum,
  reportsAway,
  sendPanelEvent,
  startTestService,
  systemDesk,
  type TestService,
} from '../helpers/service.js';

const sink = (s: Partial<SinkStatus> = {}): SinkStatus => ({
  position: 10,
  behind: 0,
  behindSeconds: 0,
  failures: 0,
  ...s,
});
const minute = (waitP99Ms: number, waitMaxMs: number) => ({
  lastMinute: { committed: 5, waitP50Ms: 1, waitP99Ms, waitMaxMs },
});

describe('troublesIn: what every desk is told, by the rules of 系统状态’s tiles', () => {
  it('all well: nothing', () => {
    const checks: HealthChecks = { db: 'ok', core: minute(99, 1000), outbox: { sinks: { bus: sink() } } };
    expect(troublesIn(true, checks)).toEqual([]);
  });

  it('the database not answering is the one trouble (nothing else can be read)', () => {
    expect(troublesIn(false, { db: 'error', core: minute(500, 5000) })).toEqual([
      { kind: 'database', level: 'bad', figures: {} },
    ]);
    expect(troublesIn(true, { db: 'ok', outbox: 'error' })).toEqual([
      { kind: 'database', level: 'bad', figures: {} },
    ]);
  });

  it('slow decisions: a p99 over 100 ms is worth a look, a worst over a second is a problem', () => {
    expect(troublesIn(true, { db: 'ok', core: minute(101, 400) })).toEqual([
      { kind: 'wait', level: 'warn', figures: { waitP99Ms: 101, waitMaxMs: 400, committed: 5 } },
    ]);
    expect(troublesIn(true, { db: 'ok', core: minute(20, 1001) })[0]).toMatchObject({
      kind: 'wait',
      level: 'bad',
    });
  });

  it('a sink failing is a problem since it began; one behind over a minute is worth a look', () => {
    const sinks = {
      webhooks: sink({ failures: 3, behind: 4, behindSeconds: 20, failingSince: '2026-12-06T03:12:00.000Z' }),
      reports: sink({ behind: 900, behindSeconds: 61 }),
      audit: sink({ behind: 900, behindSeconds: 60 }),
    };
    expect(troublesIn(true, { db: 'ok', outbox: { sinks } })).toEqual([
      {
        kind: 'sink',
        name: 'webhooks',
        level: 'bad',
        since: '2026-12-06T03:12:00.000Z',
        figures: { failures: 3, behind: 4, behindSeconds: 20 },
      },
      {
        kind: 'sink',
        name: 'reports',
        level: 'warn',
        figures: { failures: 0, behind: 900, behindSeconds: 61 },
      },
    ]);
  });
});

describe('troublesIn: recording’s own faults', () => {
  const rec = (r: Partial<Record<string, number>>) => ({
    db: 'ok' as const,
    recording: { camerasFailing: 0, camerasDropping: 0, storageShort: 0, storageFull: 0, ...r },
  });
  it('room enough and every write through: nothing', () => {
    expect(troublesIn(true, rec({}))).toEqual([]);
  });
  it('storage short is worth a look, full (all locked) a problem', () => {
    expect(troublesIn(true, rec({ storageShort: 1 }))).toEqual([
      { kind: 'storage', level: 'warn', figures: { short: 1, full: 0 } },
    ]);
    expect(troublesIn(true, rec({ storageShort: 1, storageFull: 1 }))[0]).toMatchObject({
      kind: 'storage',
      level: 'bad',
    });
  });
  it('a failed write is a problem, footage dropped by a slow disk worth a look', () => {
    expect(troublesIn(true, rec({ camerasDropping: 2 }))).toEqual([
      { kind: 'recording', level: 'warn', figures: { failing: 0, dropping: 2 } },
    ]);
    expect(troublesIn(true, rec({ camerasFailing: 1, camerasDropping: 2 }))[0]).toMatchObject({
      kind: 'recording',
      level: 'bad',
      figures: { failing: 1, dropping: 2 },
    });
  });
});

describe('SystemWatch: tells at once when a trouble begins, changes or ends, and again while it lasts', () => {
  function watch(checks: () => Promise<{ ok: boolean; checks: HealthChecks }>) {
    let now = Date.parse('2026-12-06T04:00:00Z');
    const lines: { level: string; msg: string }[] = [];
    const log = {
      warn: (_o: unknown, msg: string) => lines.push({ level: 'warn', msg }),
      info: (_o: unknown, msg: string) => lines.push({ level: 'info', msg }),
    } as unknown as Logger;
    const told: SystemStatus[] = [];
    const metrics = new Metrics({ defaults: false });
    const w = new SystemWatch({
      node: 'node-a',
      check: checks,
      emit: (s) => told.push(s),
      log,
      metrics,
      refreshMs: 60_000,
      now: () => now,
    });
    return {
      w,
      told,
      lines,
      metrics,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it('a sink failing again between two checks (one batch went through) is a new trouble: told at once with its new start, the old one ended and the new one begun in the audit', async () => {
    let failingSince = '2026-12-06T03:59:50.000Z';
    const audited: AuditEntry[] = [];
    const told: SystemStatus[] = [];
    let now = Date.parse('2026-12-06T04:00:00Z');
    const w = new SystemWatch({
      node: 'node-a',
      check: async () => ({
        ok: true,
        checks: { db: 'ok', outbox: { sinks: { webhooks: sink({ failures: 2, failingSince }) } } },
      }),
      emit: (st) => told.push(st),
      log: silentLogger,
      metrics: new Metrics({ defaults: false }),
      audit: async (e) => void audited.push(e),
      refreshMs: 60_000,
      now: () => now,
    });
    await w.tick();
    expect(told.map((st) => st.troubles[0]?.since)).toEqual([failingSince]);
    failingSince = '2026-12-06T04:00:07.000Z';
    now += 10_000;
    await w.tick();
    expect(told.map((st) => st.troubles[0]?.since)).toEqual(['2026-12-06T03:59:50.000Z', failingSince]);
    expect(audited.map((e) => [e.action, e.detail?.['since']])).toEqual([
      ['system.trouble.begin', '2026-12-06T03:59:50.000Z'],
      ['system.trouble.end', '2026-12-06T03:59:50.000Z'],
      ['system.trouble.begin', failingSince],
    ]);
  });

  it('a slow minute: begins (told, logged), stays (told once a minute), turns bad (told), ends (told, logged)', async () => {
    let core = minute(5, 9);
    const t = watch(async () => ({ ok: true, checks: { db: 'ok', core } }));
    expect((await t.w.tick()).level).toBe('ok');
    expect(t.told).toEqual([]); // nothing changed: nothing said

    core = minute(150, 300);
    t.advance(10_000);
    await t.w.tick();
    expect(t.told).toHaveLength(1);
    expect(t.told[0]).toMatchObject({
      node: 'node-a',
      level: 'warn',
      troubles: [{ kind: 'wait', level: 'warn', since: '2026-12-06T04:00:10.000Z' }],
    });
    expect(t.lines.at(-1)).toEqual({
      level: 'warn',
      msg: 'system trouble began: senders waited up to 300 ms (p99 150 ms) for a durable decision in the last minute',
    });
    expect(await t.metrics.registry.getSingleMetricAsString('sharpeyes_system_troubles')).toContain(
      'sharpeyes_system_troubles{kind="wait",level="warn"} 1',
    );

    // Still so 10 s later: not told again until a minute after the last time.
    t.advance(10_000);
    await t.w.tick();
    expect(t.told).toHaveLength(1);
    t.advance(50_000);
    await t.w.tick();
    expect(t.told).toHaveLength(2);
    expect(t.told[1]!.troubles[0]!.since).toBe('2026-12-06T04:00:10.000Z');

    // Worse: told at once, still since it began.
    core = minute(150, 1500);
    t.advance(10_000);
    await t.w.tick();
    expect(t.told).toHaveLength(3);
    expect(t.told[2]).toMatchObject({
      level: 'bad',
      troubles: [{ level: 'bad', since: '2026-12-06T04:00:10.000Z' }],
    });
    expect(t.lines.at(-1)!.msg).toMatch(/^system trouble now: senders waited up to 1500 ms/);

    core = minute(3, 4);
    t.advance(10_000);
    await t.w.tick();
    expect(t.told).toHaveLength(4);
    expect(t.told[3]).toMatchObject({ level: 'ok', troubles: [] });
    expect(t.lines.at(-1)!.level).toBe('info');
    expect(t.lines.at(-1)!.msg).toMatch(/^system trouble ended: /);
    expect(await t.metrics.registry.getSingleMetricAsString('sharpeyes_system_troubles')).not.toContain(
      'kind="wait"',
    );
    // Ok stays ok quietly.
    t.advance(120_000);
    await t.w.tick();
    expect(t.told).toHaveLength(4);
  });

  it('devices lost together: a growing count is told at the next check (neither logged nor audited), the same count is not', async () => {
    const cams = (lostTogether: number) => ({
      cameras: 40,
      up: 40 - lostTogether,
      lost: lostTogether,
      lostTogether,
      lostTogetherLevel: 'bad' as const,
    });
    let cameras = cams(12);
    const t = watch(async () => ({ ok: true, checks: { db: 'ok', cameras } }));
    await t.w.tick();
    expect(t.told.map((s) => s.troubles[0]?.figures['lost'])).toEqual([12]);
    // Logged in words (it used to read "outbox sink undefined failing").
    expect(t.lines.at(-1)).toEqual({
      level: 'warn',
      msg: "system trouble began: 12 of 40 cameras lost video within 0 s of one another: the network, a carrier or the receiver's own link",
    });
    const logged = t.lines.length;
    t.advance(5_000);
    await t.w.tick(); // the same: nothing said
    cameras = cams(19); // the next street's switch
    t.advance(5_000);
    await t.w.tick();
    expect(t.told.map((s) => s.troubles[0]?.figures['lost'])).toEqual([12, 19]);
    expect(t.told[1]!.troubles[0]!.since).toBe(t.told[0]!.troubles[0]!.since);
    expect(t.lines).toHaveLength(logged);
  });

  it('the supervision lease moves while cameras are lost together: the old node lets go without an end, the new one tells the same trouble, acknowledged as it was', async () => {
    const [, open] = storeBackends('handover')[0]!; // SQLite (the acknowledgements' own test runs both)
    const db = await open();
    try {
      const acks = new TroubleAcks(db.store.k);
      const firstAt = Date.parse('2026-12-06T03:58:30Z');
      const judging = {
        cameras: 40,
        up: 28,
        lost: 12,
        lostTogether: 12,
        lostTogetherLevel: 'bad' as const,
        lostTogetherFrom: new Date(firstAt).toISOString(),
        lostTogetherTo: new Date(firstAt + 20_000).toISOString(),
      };
      const notJudging = { cameras: 40, up: 28, lost: 12 };
      let aChecks: HealthChecks['cameras'] = judging;
      let bChecks: HealthChecks['cameras'] = notJudging;
      const audited: AuditEntry[] = [];
      const make = (node: string, cameras: () => HealthChecks['cameras']) => {
        const lines: string[] = [];
        const told: SystemStatus[] = [];
        const w = new SystemWatch({
          node,
          check: async () => ({ ok: true, checks: { db: 'ok', cameras: cameras() } }),
          emit: (st) => told.push(st),
          log: {
            warn: (_o: unknown, m: string) => lines.push(m),
            info: (_o: unknown, m: string) => lines.push(m),
          } as unknown as Logger,
          metrics: new Metrics({ defaults: false }),
          audit: async (e) => audited.push(e),
          acks,
        });
        return { w, lines, told };
      };
      const a = make('node-a', () => aChecks);
      const b = make('node-b', () => bChecks);
      const first = await a.w.tick();
      expect(first.troubles).toHaveLength(1);
      // It began when the first camera went dark, not when this node first judged it.
      const since = first.troubles[0]!.since;
      expect(since).toBe('2026-12-06T03:58:30.000Z');
      expect((await b.w.tick()).troubles).toEqual([]);
      // A supervisor takes charge of it, from a desk on node a (as the desk's button posts it).
      await acks.ack(
        ackNode('node-a', 'cameras'),
        'cameras:',
        since,
        { username: 'sup-li', displayName: '李值班长' },
        '2026-12-06T04:00:10.000Z',
      );
      expect((await a.w.tick()).troubles[0]!.ack?.by).toBe('sup-li');

      // Node a loses the supervision lease (restarted, or its database link went): node b judges.
      aChecks = notJudging;
      bChecks = judging;
      const fromA = await a.w.tick();
      expect(fromA.troubles).toEqual([]);
      expect(a.told.at(-1)?.troubles).toEqual([]); // its desks stop showing it under node a
      expect(a.lines.at(-1)).toMatch(/^system trouble judged on another node now: 12 of 40 cameras/);
      const fromB = await b.w.tick();
      expect(fromB.troubles[0]).toMatchObject({
        kind: 'cameras',
        level: 'bad',
        since,
        ack: { by: 'sup-li' },
      });
      // In the audit chain: one beginning (node a's), and node b's telling of the same trouble; no end.
      expect(audited.map((e) => [e.action, e.target, (e.detail as { since: string }).since])).toEqual([
        ['system.trouble.begin', 'node:node-a', since],
        ['system.trouble.begin', 'node:node-b', since],
      ]);
      // When the cameras return it ends, once, on the node judging.
      bChecks = { cameras: 40, up: 40, lost: 0, lostTogether: 0 };
      await b.w.tick();
      expect(audited.map((e) => e.action)).toEqual([
        'system.trouble.begin',
        'system.trouble.begin',
        'system.trouble.end',
      ]);
    } finally {
      await db.cleanup();
    }
  });

  it('a check that throws is the database not answering; two database troubles are one', async () => {
    let fail = true;
    const t = watch(async () => {
      if (fail) throw new Error('SQLITE_IOERR: disk I/O error');
      return { ok: true, checks: { db: 'ok', outbox: 'error' } };
    });
    expect(await t.w.tick()).toMatchObject({ level: 'bad', troubles: [{ kind: 'database', level: 'bad' }] });
    expect(t.lines.map((l) => l.msg)).toEqual([
      'system watch: health could not be read',
      'system trouble began: the database does not answer',
    ]);
    fail = false;
    t.advance(10_000);
    // The outbox could not be read either: still the one trouble, since the first check, not told again.
    expect((await t.w.tick()).troubles).toEqual([
      { kind: 'database', level: 'bad', since: '2026-12-06T04:00:00.000Z', figures: {} },
    ]);
    expect(t.told).toHaveLength(1);
  });

  it('who took charge: read at each check for the troubles as they stand, told at once; the same trouble beginning again is not acknowledged', async () => {
    let core = minute(150, 300);
    const told: SystemStatus[] = [];
    const stored = new Map<string, TroubleAck>();
    const asked: string[][] = [];
    // Each check 5 s after the last (a real clock may give two checks the same millisecond, and a
    // trouble that began again would then have the same beginning).
    let clock = Date.parse('2026-12-06T05:00:00Z');
    const w = new SystemWatch({
      node: 'node-a',
      check: async () => ({ ok: true, checks: { db: 'ok', core } }),
      emit: (st) => told.push(st),
      now: () => (clock += 5_000),
      log: { warn: () => undefined, info: () => undefined } as unknown as Logger,
      metrics: new Metrics({ defaults: false }),
      acks: {
        of: async (_node, troubles) => {
          asked.push(troubles.map((t) => `${t.key}@${t.since}`));
          return new Map(
            troubles.flatMap((t) => {
              const a = stored.get(`${t.key}@${t.since}`);
              return a ? [[t.key, a] as const] : [];
            }),
          );
        },
      },
    });
    const first = await w.tick();
    const since = first.troubles[0]!.since;
    expect(first.troubles[0]!.ack).toBeUndefined();
    expect(told).toHaveLength(1);
    stored.set(`wait:@${since}`, { by: 'sup-li', byName: '李值班长', at: '2026-12-06T05:01:00.000Z' });
    const second = await w.check();
    expect(second.troubles[0]!.ack).toEqual({
      by: 'sup-li',
      byName: '李值班长',
      at: '2026-12-06T05:01:00.000Z',
    });
    // Told at once (a change), not at the next minute's repeat.
    expect(told).toHaveLength(2);
    expect(told[1]!.troubles[0]!.ack?.by).toBe('sup-li');
    // Still acknowledged at the next check, and not told again.
    await w.tick();
    expect(told).toHaveLength(2);
    // It ends and begins again: a new trouble, not acknowledged.
    core = minute(1, 2);
    await w.tick();
    core = minute(150, 300);
    const again = await w.tick();
    expect(again.troubles[0]!.since).not.toBe(since);
    expect(again.troubles[0]!.ack).toBeUndefined();
    // Nothing asked while all was well.
    expect(asked).toHaveLength(4);
  });

  it('a graceful stop while in trouble tells the desks to forget the node (its troubles go with it); all well, it says nothing', async () => {
    let core = minute(150, 300);
    const t = watch(async () => ({ ok: true, checks: { db: 'ok', core } }));
    await t.w.tick();
    expect(t.told).toHaveLength(1);
    await t.w.stop();
    expect(t.told).toHaveLength(2);
    expect(t.told[1]).toMatchObject({ node: 'node-a', level: 'ok', troubles: [], stopped: true });
    // Nothing was audited or logged as ended: the trouble did not end, the node went.
    expect(t.lines.filter((l) => l.msg.includes('ended'))).toEqual([]);
    core = minute(1, 2);
    const quiet = watch(async () => ({ ok: true, checks: { db: 'ok', core } }));
    await quiet.w.tick();
    await quiet.w.stop();
    expect(quiet.told).toEqual([]);
  });

  it('acknowledgements older than the history are forgotten hourly, never those of a trouble standing here; the city’s only by the node that judges them', async () => {
    let core = minute(150, 300);
    let cameras: Record<string, unknown> | undefined;
    let clock = Date.parse('2026-12-06T05:00:00Z');
    const purges: { before: string; keep: string[]; judging: boolean; aliveSince: string }[] = [];
    const w = new SystemWatch({
      node: 'node-a',
      check: async () => ({ ok: true, checks: { db: 'ok', core, ...(cameras ? { cameras } : {}) } }),
      emit: () => undefined,
      now: () => clock,
      log: { warn: () => undefined, info: () => undefined } as unknown as Logger,
      metrics: new Metrics({ defaults: false }),
      acks: {
        of: async () => new Map(),
        purge: async (before, keep, scope) => {
          expect(scope.node).toBe('node-a');
          purges.push({
            before,
            keep: keep.map((t) => `${t.node}/${t.key}@${t.since}`),
            judging: scope.judging,
            aliveSince: new Date(scope.aliveSince).toISOString(),
          });
          return 0;
        },
      },
      keepAcksDays: 31,
    });
    const first = await w.tick();
    // Another node's are forgotten once it has written no minute for a day (NODE_GONE_MS).
    expect(purges).toEqual([
      {
        before: '2026-11-05T05:00:00.000Z',
        keep: [`node-a/wait:@${first.troubles[0]!.since}`],
        judging: false,
        aliveSince: '2026-12-05T05:00:00.000Z',
      },
    ]);
    // Not again within the hour.
    clock += 59 * 60_000;
    await w.tick();
    expect(purges).toHaveLength(1);
    // An hour on, all well: nothing standing to keep.
    core = minute(1, 2);
    clock += 60_000;
    await w.tick();
    expect(purges[1]).toMatchObject({ before: '2026-11-05T06:00:00.000Z', keep: [], judging: false });
    // This node holds the supervision now (its health judges cameras lost together): it may forget
    // the city's, except the trouble standing.
    cameras = { cameras: 40, up: 28, lost: 12, lostTogether: 12, lostTogetherLevel: 'bad' };
    clock += 60 * 60_000;
    const judged = await w.tick();
    const city = judged.troubles.find((t) => t.kind === 'cameras')!;
    expect(purges[2]).toMatchObject({ judging: true, keep: [`*/cameras:@${city.since}`] });
    expect(NODE_GONE_MS).toBe(86_400_000);
  });

  it('each beginning, change and end is audited in order; refused appends are tried again at the next check', async () => {
    let core = minute(150, 300);
    const appended: AuditEntry[] = [];
    let refuse = true;
    const lines: string[] = [];
    const w = new SystemWatch({
      node: 'node-a',
      check: async () => ({ ok: true, checks: { db: 'ok', core } }),
      emit: () => undefined,
      log: { warn: (_o: unknown, m: string) => lines.push(m), info: () => undefined } as unknown as Logger,
      metrics: new Metrics({ defaults: false }),
      audit: async (e) => {
        if (refuse) throw new Error('SQLITE_BUSY');
        appended.push(e);
      },
    });
    await w.tick(); // begins: refused
    core = minute(150, 1500);
    await w.tick(); // turns bad: refused
    expect(appended).toEqual([]);
    expect(lines.filter((l) => l.startsWith('system watch: could not audit'))).toHaveLength(2);
    refuse = false;
    core = minute(1, 2);
    await w.tick(); // ends: all three, in order
    expect(appended.map((e) => [e.action, e.actor, e.target, e.detail?.['level']])).toEqual([
      ['system.trouble.begin', 'system', 'node:node-a', 'warn'],
      ['system.trouble.level', 'system', 'node:node-a', 'bad'],
      ['system.trouble.end', 'system', 'node:node-a', 'bad'],
    ]);
    const [begin, , end] = appended;
    expect(begin!.detail).toMatchObject({ kind: 'wait', figures: { waitP99Ms: 150, waitMaxMs: 300 } });
    expect(end!.detail!['since']).toBe(begin!.detail!['since']);
    expect(Date.parse(end!.detail!['until'] as string)).toBeGreaterThanOrEqual(
      Date.parse(begin!.detail!['since'] as string),
    );
    // Nothing new: nothing appended.
    await w.tick();
    expect(appended).toHaveLength(3);
  });
});

describe('system:status on a real service: a follow-up that fails reaches every desk, not a site’s user', () => {
  let svc: TestService;
  let operator: string;
  let siteUser: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    svc = await startTestService({ yaml: `${QUIET_API_CITY_YAML}storage: { systemWatchSeconds: 1 }\n` });
    operator = await svc.login('watch-operator', 'operator', 'north');
    siteUser = await svc.login('watch-site', 'site', 'shop-1');
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await svc?.close();
  });

  const desk = (token: string) => {
    const d = systemDesk(svc.httpUrl, token);
    sockets.push(d.socket);
    return d;
  };
  const status = (token?: string) =>
    fetch(`${svc.httpUrl}/api/system/status`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const nodeId = () => svc.svc.part<Cluster>('cluster').nodeId;

  it('a desk is told the state on connecting; GET /api/system/status says the same; a site user hears nothing and is refused', async () => {
    const op = desk(operator);
    const site = desk(siteUser);
    await Promise.all([op.connected, site.connected]);
    await expect.poll(() => op.heard.length).toBe(1);
    expect(op.heard[0]).toMatchObject({ node: nodeId(), level: 'ok', troubles: [] });
    const res = await status(operator);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ node: nodeId(), level: 'ok', troubles: [] });
    expect((await status(siteUser)).status).toBe(403);
    expect((await status()).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1500));
    expect(site.heard).toEqual([]);
  });

  it('the reports follow-up failing: the panic is acknowledged as ever, every desk is told within seconds, and told again when it recovers', async () => {
    const op = desk(operator);
    await op.connected;
    const restore = reportsAway(svc);
    try {
      const sent = Date.now();
      // The PUBACK comes after the decision is durable, whatever the follow-ups do.
      await sendPanelEvent(
        svc.mqttUrl,
        { id: 'panel-2', secret: 'secret-panel-2' },
        { id: 'watch-1', type: 'panic' },
      );
      await expect.poll(() => op.heard.find((s) => s.level === 'bad'), { timeout: 15_000 }).toBeDefined();
      const bad = op.heard.find((s) => s.level === 'bad')!;
      const trouble = bad.troubles.find((t) => t.kind === 'sink' && t.name === 'reports');
      expect(trouble).toMatchObject({ level: 'bad', figures: { failures: expect.any(Number) } });
      expect(trouble!.figures['failures']).toBeGreaterThan(0);
      // Since the sink's first failure, after the panic was sent.
      expect(Date.parse(trouble!.since)).toBeGreaterThanOrEqual(sent - 1000);
      expect(Date.parse(trouble!.since)).toBeLessThanOrEqual(Date.parse(bad.at));
      // The other follow-ups took the alarm: only the reports are in trouble.
      expect(bad.troubles.filter((t) => t.kind === 'sink').map((t) => t.name)).toEqual(['reports']);
      expect((await (await status(operator)).json()) as SystemStatus).toMatchObject({ level: 'bad' });
      expect(await metricSum(svc.httpUrl, 'sharpeyes_system_troubles', { kind: 'sink' })).toBe(1);

      // A supervisor takes charge: every desk is told at once, by whom; a second is told whose it is.
      const li = await svc.login('watch-sup-li', 'supervisor', 'north');
      const wang = await svc.login('watch-sup-wang', 'admin', 'city');
      const ack = (token: string, body: unknown) =>
        fetch(`${svc.httpUrl}/api/system/troubles/ack`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const body = { node: bad.node, kind: 'sink', name: 'reports', since: trouble!.since };
      const heardBefore = op.heard.length;
      const taken = await ack(li, body);
      expect(taken.status).toBe(200);
      expect(await taken.json()).toMatchObject({
        first: true,
        ack: { by: 'watch-sup-li' },
        trouble: 'sink:reports',
      });
      await expect
        .poll(() => op.heard.slice(heardBefore).find((s) => s.troubles.some((t) => t.ack)), {
          timeout: 3_000,
        })
        .toBeDefined();
      const second = await ack(wang, body);
      expect(await second.json()).toMatchObject({ first: false, ack: { by: 'watch-sup-li' } });
      // Refused: an operator, and what is not a trouble's acknowledgement.
      expect((await ack(operator, body)).status).toBe(403);
      for (const wrong of [
        { ...body, kind: 'bogus' },
        { ...body, since: 'yesterday' },
        { node: bad.node, kind: 'sink' },
        { ...body, extra: 1 },
      ])
        expect((await ack(li, wrong)).status, JSON.stringify(wrong)).toBe(400);

      restore();
      // Retried with backoff, then told: all well.
      await expect.poll(() => op.heard.at(-1)?.level, { timeout: 40_000 }).toBe('ok');
      expect(op.heard.at(-1)!.troubles).toEqual([]);
      // Kept in the audit chain, for a city's supervisor: when it began and when it ended.
      const supervisor = await svc.login('watch-supervisor', 'supervisor', 'city');
      const entries = async (action: string) =>
        (
          (await (
            await fetch(`${svc.httpUrl}/api/audit?action=${action}`, {
              headers: { authorization: `Bearer ${supervisor}` },
            })
          ).json()) as { entries: { target: string; detail: Record<string, unknown> }[] }
        ).entries.filter((e) => e.detail['name'] === 'reports');
      // (The acknowledgement's actor is the supervisor: one entry, for the first.)
      const acked = await entries('system.trouble.ack');
      expect(acked.map((e) => e.detail['since'])).toEqual([trouble!.since]);
      const [begun] = await entries('system.trouble.begin');
      const [ended] = await entries('system.trouble.end');
      expect(begun).toMatchObject({
        target: `node:${nodeId()}`,
        detail: { kind: 'sink', level: 'bad', since: trouble!.since },
      });
      expect(ended).toMatchObject({ detail: { kind: 'sink', since: trouble!.since } });
      expect(Date.parse(ended!.detail['until'] as string)).toBeGreaterThan(Date.parse(trouble!.since));
      // A station's operator may not read the centre's own record.
      expect(
        (
          await fetch(`${svc.httpUrl}/api/audit?action=system.trouble.begin`, {
            headers: { authorization: `Bearer ${operator}` },
          })
        ).status,
      ).toBe(403);
    } finally {
      restore();
    }
  }, 60_000);
});

describe('troublesIn: cameras lost together', () => {
  it('as the cameras’ health judged them, beside panels lost together, with the same figures', () => {
    const cameras = {
      cameras: 40,
      up: 20,
      lost: 20,
      lostTogether: 18,
      lostTogetherFrom: '2026-12-06T08:00:00.000Z',
      lostTogetherTo: '2026-12-06T08:00:40.000Z',
    };
    expect(troublesIn(true, { db: 'ok', cameras })).toEqual([]);
    // Where most of them are, named for the desk's sentence; unnamed, nothing.
    const names = (id: string) => (id === 'north' ? '北城派出所' : undefined);
    const at = { ...cameras, lostTogetherLevel: 'warn' as const, lostTogetherWhere: 'north' };
    expect(troublesIn(true, { db: 'ok', cameras: at }, names)[0]?.where).toEqual({
      id: 'north',
      name: '北城派出所',
    });
    expect(
      troublesIn(true, { db: 'ok', cameras: { ...at, lostTogetherWhere: 'nowhere' } }, names)[0]?.where,
    ).toBeUndefined();
    const panels = { panels: 8, online: 3, lost: 5, lostTogether: 5, lostTogetherLevel: 'warn' as const };
    expect(troublesIn(true, { db: 'ok', panels, cameras: { ...cameras, lostTogetherLevel: 'bad' } })).toEqual(
      [
        { kind: 'panels', level: 'warn', figures: { lost: 5, of: 8, lostAll: 5 } },
        {
          kind: 'cameras',
          level: 'bad',
          figures: {
            lost: 18,
            of: 40,
            lostAll: 20,
            firstAt: Date.parse(cameras.lostTogetherFrom),
            spanSeconds: 40,
          },
        },
      ],
    );
  });
});

describe('troublesIn: panels lost together', () => {
  it('as the panels’ health judged them (one node of a city tells them), with the figures of the sentence', () => {
    const panels = {
      panels: 8,
      online: 3,
      lost: 6,
      lostTogether: 5,
      lostTogetherFrom: '2026-12-06T08:00:00.000Z',
      lostTogetherTo: '2026-12-06T08:02:30.000Z',
    };
    expect(troublesIn(true, { db: 'ok', panels })).toEqual([]);
    expect(troublesIn(true, { db: 'ok', panels: { ...panels, lostTogetherLevel: 'bad' } })).toEqual([
      {
        kind: 'panels',
        level: 'bad',
        figures: {
          lost: 5,
          of: 8,
          lostAll: 6,
          firstAt: Date.parse(panels.lostTogetherFrom),
          spanSeconds: 150,
        },
      },
    ]);
  });
});

describe('panels lost together on a real service: one trouble on every desk, beside each site’s own ticket', () => {
  const N = 8;
  let svc: TestService;
  let operator: string;
  const sims: PanelSimulator[] = [];
  const sockets: Socket[] = [];
  const sim = (i: number) =>
    new PanelSimulator({ url: svc.mqttUrl, id: `panel-${i}`, secret: `secret-panel-${i}` });

  beforeAll(async () => {
    const sites = Array.from(
      { length: N },
      (_, i) =>
        `  - { id: shop-${i}, name: Shop ${i}, jurisdiction: north, kind: shop, location: { lat: 39.33, lon: 112.43 } }`,
    );
    const panels = Array.from(
      { length: N },
      (_, i) => `  - { id: panel-${i}, site: shop-${i}, secret: secret-panel-${i}, heartbeatSeconds: 60 }`,
    );
    svc = await startTestService({
      yaml: `http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
storage: { systemWatchSeconds: 1, panelsLostTogether: { panels: 3, share: 0.3, badShare: 0.6 } }
jurisdictions:
  - { id: city, name: City 110, children: [{ id: north, name: North station }] }
sites:
${sites.join('\n')}
panels:
${panels.join('\n')}
`,
    });
    operator = await svc.login('lost-operator', 'operator', 'north');
    for (let i = 0; i < N; i++) {
      const s = sim(i);
      await s.connect();
      await s.sendHeartbeat();
      sims.push(s);
    }
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const s of sims) await s.detach();
    await svc?.close();
  });

  const panelsTrouble = (heard: SystemStatus[]) => heard.at(-1)?.troubles.find((t) => t.kind === 'panels');

  it('three dropping together are worth a look, five a problem; each site keeps its own ticket; it ends when they return', async () => {
    const d = systemDesk(svc.httpUrl, operator);
    sockets.push(d.socket);
    await d.connected;
    await expect.poll(() => d.heard.at(-1)?.level).toBe('ok');

    // A street's carrier drops three panels: each goes silent without a word (their wills).
    for (const s of sims.slice(0, 3)) await s.close(true);
    await expect.poll(() => panelsTrouble(d.heard)?.level, { timeout: 10_000 }).toBe('warn');
    expect(panelsTrouble(d.heard)?.figures).toMatchObject({ lost: 3, of: N, lostAll: 3 });
    const since = panelsTrouble(d.heard)!.since;

    // Two more: 5 of 8 is over the red share.
    for (const s of sims.slice(3, 5)) await s.close(true);
    await expect.poll(() => panelsTrouble(d.heard)?.level, { timeout: 10_000 }).toBe('bad');
    const trouble = panelsTrouble(d.heard)!;
    expect(trouble.figures).toMatchObject({ lost: 5, of: N, lostAll: 5 });
    // One trouble from its beginning: a change of level, not a new one.
    expect(trouble.since).toBe(since);
    expect(trouble.figures['spanSeconds']).toBeGreaterThanOrEqual(0);
    expect(trouble.figures['spanSeconds']).toBeLessThan(60);
    const health = (await (await fetch(`${svc.httpUrl}/api/health`)).json()) as { checks: HealthChecks };
    expect(health.checks.panels).toMatchObject({
      panels: N,
      online: N - 5,
      lost: 5,
      lostTogether: 5,
      lostTogetherLevel: 'bad',
      lostTogetherWhere: 'north', // every shop of this city is in the north
    });
    expect(trouble.where).toEqual({ id: 'north', name: 'North station' });
    // Each site still has its own communication ticket: the trouble is beside them, not instead.
    const store = svc.svc.need('store');
    for (let i = 0; i < 5; i++)
      await expect
        .poll(async () => (await store.incidents.findOpen(`shop-${i}`, 'maintenance'))?.rule)
        .toBe('trouble-ticket');
    expect(await store.incidents.findOpen('shop-5', 'maintenance')).toBeUndefined();

    // The carrier is back: three reconnect, two lost together are under the rule.
    for (let i = 0; i < 3; i++) {
      const s = sim(i);
      await s.connect();
      sims[i] = s;
    }
    await expect.poll(() => panelsTrouble(d.heard), { timeout: 10_000 }).toBeUndefined();
    expect(d.heard.at(-1)?.level).toBe('ok');
    const after = (await (await fetch(`${svc.httpUrl}/api/health`)).json()) as { checks: HealthChecks };
    expect(after.checks.panels).toMatchObject({ lost: 2, lostTogether: 2 });
    expect(after.checks.panels?.lostTogetherLevel).toBeUndefined();
  }, 60_000);
});

describe('system:status across two nodes sharing Redis: a desk on one node hears the other node’s trouble', () => {
  let redis: TestRedis;
  let a: TestService;
  let b: TestService;
  let socket: Socket | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    const yaml = (node: string) =>
      `${QUIET_API_CITY_YAML}storage: { systemWatchSeconds: 1 }\nrealtime: { redis: "${redis.url}" }\ncluster: { nodeId: ${node} }\n`;
    a = await startTestService({ yaml: yaml('node-a') });
    b = await startTestService({ yaml: yaml('node-b') });
  }, 60_000);
  afterAll(async () => {
    socket?.close();
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it('node b’s reports sink fails: the desk connected to node a is told, under node b’s name, and told again when it recovers', async () => {
    const desk = systemDesk(a.httpUrl, await a.login('two-node-operator', 'operator', 'city'));
    socket = desk.socket;
    const { heard } = desk;
    await desk.connected;
    await expect.poll(() => heard.length).toBeGreaterThan(0);
    expect(heard[0]).toMatchObject({ node: 'node-a', level: 'ok' });

    const restore = reportsAway(b);
    try {
      await sendPanelEvent(
        b.mqttUrl,
        { id: 'panel-1', secret: 'secret-panel-1' },
        { id: 'two-node-1', type: 'panic' },
      );
      await expect
        .poll(() => heard.find((s) => s.node === 'node-b' && s.level === 'bad'), { timeout: 15_000 })
        .toBeDefined();
      expect(heard.find((s) => s.node === 'node-b')!.troubles.map((t) => `${t.kind}:${t.name}`)).toEqual([
        'sink:reports',
      ]);
      // Node a itself is well and says nothing new.
      expect(heard.filter((s) => s.node === 'node-a').every((s) => s.level === 'ok')).toBe(true);
      // A supervisor takes charge of node b's trouble through node b (each node here has a SQLite
      // file of its own; a city's share PostgreSQL, where any node takes it): the desk on node a is told.
      const since = heard.find((s) => s.node === 'node-b')!.troubles[0]!.since;
      const sup = await b.login('two-node-sup', 'supervisor', 'city');
      const res = await fetch(`${b.httpUrl}/api/system/troubles/ack`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sup}`, 'content-type': 'application/json' },
        body: JSON.stringify({ node: 'node-b', kind: 'sink', name: 'reports', since }),
      });
      expect(res.status).toBe(200);
      await expect
        .poll(
          () =>
            heard.find((s) => s.node === 'node-b' && s.troubles.some((t) => t.ack?.by === 'two-node-sup')),
          {
            timeout: 10_000,
          },
        )
        .toBeDefined();
      restore();
      await expect
        .poll(() => heard.filter((s) => s.node === 'node-b').at(-1)?.level, { timeout: 40_000 })
        .toBe('ok');
    } finally {
      restore();
    }
  }, 90_000);
});
