import { hostname } from 'node:os';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/cluster/cluster.js';
import { type History, SystemHistory, SystemHistoryStore } from '../../src/health/system-history.js';
import { historyNode, type LoopDelay, sampleMinute } from '../../src/health/system-module.js';
import { TroubleAcks } from '../../src/health/system-trouble-acks.js';
import type { SystemWatch } from '../../src/health/system-watch.js';
import { Metrics } from '../../src/metrics.js';
import { QUIET_API_CITY_YAML } from '../api/api-fixture.js';
import { SERVICE_BACKENDS, stopSharedPostgres } from '../helpers/postgres.js';
import { metricSum, startTestService, type TestService } from '../helpers/service.js';

const MIN = 60_000;

afterAll(() => stopSharedPostgres(), 60_000);

describe('GET /api/system/history: 系统状态’s minutes, for supervisors and admins', () => {
  let svc: TestService;
  let supervisor: string;
  let operator: string;

  beforeAll(async () => {
    svc = await startTestService({ yaml: QUIET_API_CITY_YAML });
    supervisor = await svc.login('sys-supervisor', 'supervisor', 'city');
    operator = await svc.login('sys-operator', 'operator', 'north');
  });
  afterAll(async () => {
    await svc?.close();
  });

  const get = (query: string, token?: string) =>
    fetch(`${svc.httpUrl}/api/system/history${query}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('a real panic’s minute, as the service’s own history writes it: the panic counted, its wait, the panels and cameras, no sink failing', async () => {
    // The service writes its minutes on its own clock; the same minute written here comes first or
    // is ignored as a repeat, and either holds the panic (each is read after the minute ended).
    expect(svc.svc.parts.get('system.history')).toBeInstanceOf(SystemHistory);
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-1',
      password: 'secret-panel-1',
      clientId: 'panel-1-sys',
    });
    const at = Date.now();
    await panel.publishAsync(
      'sharpeyes/panels/panel-1/event',
      JSON.stringify({ id: 'sys-1', type: 'panic', zone: '1', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    const pubackMs = Date.now() - at;
    await panel.endAsync();
    const minute = Math.floor(at / MIN) * MIN;
    const history = new SystemHistory({
      store: new SystemHistoryStore(svc.svc.need('store').k),
      node: historyNode(svc.svc),
      keepDays: 31,
      // The service's own event-loop monitor: this row says how long its thread was held.
      sample: (end) => sampleMinute(svc.svc, end, svc.svc.parts.get('system.loop') as LoopDelay),
      log: svc.svc.log,
      metrics: new Metrics({ defaults: false }),
      // A second after the panic's minute ended.
      now: () => minute + MIN + 1000,
    });
    await history.tick();

    const res = await get('?hours=1', supervisor);
    expect(res.status).toBe(200);
    const body = (await res.json()) as History;
    expect(body.stepMinutes).toBe(1);
    // Under the host's name (no cluster.nodeId here), not the process's cluster id: a restart is the
    // same node, its stop a gap.
    expect(body.nodes).toEqual([hostname()]);
    expect(svc.svc.part<Cluster>('cluster').nodeId).not.toBe(hostname());
    const point = body.points.find((p) => p.at === new Date(minute).toISOString());
    expect(point).toBeDefined();
    expect(point!.minutes).toBe(1);
    expect(point!.committed).toBeGreaterThanOrEqual(1);
    expect(point!.waitMaxMs).toBeGreaterThan(0);
    expect(point!.waitP50Ms).toBeLessThanOrEqual(point!.waitP99Ms);
    // The quiet city's only event in that minute: its decision was durable before its PUBACK.
    expect(point!.committed).toBe(1);
    expect(point!.waitMaxMs).toBeLessThanOrEqual(pubackMs + 1);
    expect(point).toMatchObject({ sinksFailing: 0, panels: 2, cameras: 2 });
    // How long the thread was held: measured (starting the service held it), under a second.
    expect(point!.loopMaxMs).toBeGreaterThan(0);
    expect(point!.loopMaxMs).toBeLessThan(1000);
    // Never reachable cameras (rtsp to port 9).
    expect(point!.camerasUp).toBe(0);
    // The server's clock, for the page to judge which minutes are due.
    expect(Math.abs(Date.parse((body as History & { now: string }).now) - Date.now())).toBeLessThan(5_000);
    // The range ends with the current minute.
    expect(Date.parse(body.to)).toBe(Math.floor(Date.now() / MIN) * MIN + MIN);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(60 * MIN);
  });

  it('a day in five-minute steps, an earlier week by `until`', async () => {
    const day = (await (await get('?hours=24', supervisor)).json()) as History;
    expect(day.stepMinutes).toBe(5);
    expect(day.points.every((p) => Date.parse(p.at) % (5 * MIN) === Date.parse(day.from) % (5 * MIN))).toBe(
      true,
    );
    const before = (await (
      await get('?hours=168&until=2026-01-01T00:00:00%2B08:00', supervisor)
    ).json()) as History;
    expect(before).toMatchObject({ stepMinutes: 30, to: '2025-12-31T16:01:00.000Z', points: [] });
  });

  it('refused: without a login 401, an operator 403, a range it does not serve 400; each counted, in words the console shows', async () => {
    const errors = () => metricSum(svc.httpUrl, 'sharpeyes_http_errors_total');
    const before = await errors();
    const anon = await get('?hours=1');
    expect(anon.status).toBe(401);
    const op = await get('?hours=1', operator);
    expect(op.status).toBe(403);
    expect(((await op.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    for (const q of ['?hours=0', '?hours=169', '?hours=2.5', '?until=yesterday', '?hours=1&node=x']) {
      const res = await get(q, supervisor);
      expect(res.status, q).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code, q).toBe('bad_request');
      expect(error.message, q).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(await errors()).toBeGreaterThanOrEqual(before + 7);
  });
});

/**
 * `POST /api/system/troubles/ack` while a purge forgets acknowledgements, on SQLite and on PostgreSQL
 * (where another connection's purge can land between an acknowledgement's insert and its read). The
 * node's own purge keeps what stands; this one is told to forget everything, as a purge of a trouble
 * long over would.
 */
describe.each(SERVICE_BACKENDS)('POST /api/system/troubles/ack against the purge on %s', (_name, storage) => {
  let svc: TestService;
  beforeEach(async () => {
    // Checked each second (the database's line, when there is one, gains it).
    const db = await storage();
    const watched = db
      ? db.replace('storage: { ', 'storage: { systemWatchSeconds: 1, ')
      : 'storage: { systemWatchSeconds: 1 }\n';
    svc = await startTestService({ yaml: `${QUIET_API_CITY_YAML}${watched}` });
  }, 120_000);
  afterEach(async () => svc?.close());

  it('an acknowledgement purged as it is taken: 200 or 409 trouble_gone, never a 500; audited once per row taken', async () => {
    // A trouble standing on this node: recording fails to write (recording is off here: its health stands in).
    svc.svc.parts.set('recording', {
      health: () => ({ camerasFailing: 1, camerasDropping: 0, storageShort: 0, storageFull: 0 }),
    });
    const watch = svc.svc.part<SystemWatch>('system.watch');
    await expect.poll(() => watch.current().troubles.find((t) => t.kind === 'recording')).toBeDefined();
    const { node } = watch.current();
    const since = watch.current().troubles.find((t) => t.kind === 'recording')!.since;
    const acks = new TroubleAcks(svc.svc.need('store').k);
    const purge = () => acks.purge('2999-01-01T00:00:00.000Z', [], { node, judging: false, aliveSince: 0 });
    const supervisor = await svc.login('sys-sup-li', 'supervisor', 'city');
    const wang = await svc.login('sys-sup-wang', 'admin', 'city');
    const audited = async () => (await svc.svc.need('audit').list({ action: 'system.trouble.ack' })).length;
    const ack = (token: string) =>
      fetch(`${svc.httpUrl}/api/system/troubles/ack`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ node, kind: 'recording', since }),
      });
    const auditedBefore = await audited();
    const statuses: number[] = [];
    let taken = 0;
    // Several rounds: whether the purge lands between an acknowledgement's insert and its read varies.
    for (let round = 1; round <= 10; round++) {
      await purge();
      expect((await ack(supervisor)).status).toBe(200);
      taken++;
      let done = false;
      const purging = (async () => {
        while (!done) {
          await purge();
          // SQLite answers within the turn: let the requests in.
          await new Promise((r) => setImmediate(r));
        }
      })();
      const answers = await Promise.all(Array.from({ length: 8 }, () => ack(wang)));
      done = true;
      await purging;
      for (const a of answers) {
        statuses.push(a.status);
        const body = (await a.json()) as { first?: boolean; error?: { code: string; message: string } };
        expect([200, 409], `round ${round}: ${JSON.stringify(body)}`).toContain(a.status);
        if (a.status === 409) {
          expect(body.error?.code).toBe('trouble_gone');
          expect(body.error?.message).toMatch(/is over/);
        } else if (body.first) taken++;
      }
    }
    // Every acknowledgement that took a row is in the audit log, once; one told the trouble is gone is not.
    expect(await audited()).toBe(auditedBefore + taken);
    expect(statuses.length).toBe(80);
  });
});
