import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxRow } from '../../src/outbox/outbox.js';
import type { OutboxDispatcher, SinkStatus } from '../../src/outbox/outbox-dispatcher.js';
import { metricSum, startTestService, type TestService } from '../helpers/service.js';
import { QUIET_API_CITY_YAML } from './api-fixture.js';

interface Health {
  status: string;
  checks: {
    db: string;
    core?: { lastMinute: { committed: number; waitP50Ms: number; waitP99Ms: number; waitMaxMs: number } };
    outbox?: { sinks: Record<string, SinkStatus> };
  };
}

const health = async (svc: TestService) => {
  const res = await fetch(`${svc.httpUrl}/api/health`);
  return { status: res.status, body: (await res.json()) as Health };
};

describe('GET /api/health: the alarm path and the outbox sinks (issue 13: a sink that fails or stalls holds up no alarm, and shows here)', () => {
  let svc: TestService;
  let dispatcher: OutboxDispatcher;
  /** A module's sink whose far end is down (say, a records system) until `up`. */
  let down = true;
  const handled: number[] = [];

  beforeAll(async () => {
    svc = await startTestService({ yaml: QUIET_API_CITY_YAML });
    dispatcher = svc.svc.part<OutboxDispatcher>('outbox.dispatcher');
    await dispatcher.add({
      name: 'records',
      durable: true,
      handle(rows: readonly OutboxRow[]) {
        if (down) throw new Error('records system unreachable at 10.0.0.9');
        handled.push(...rows.map((r) => r.seq));
      },
    });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('a panic in the last minute’s waits; every sink keeping up, then the failing one behind by the panic’s rows, since when; the node stays up', async () => {
    const before = await health(svc);
    expect(before.status).toBe(200);
    const names = Object.keys(before.body.checks.outbox!.sinks);
    // The service's own sinks, each at the newest row.
    expect(names).toEqual(expect.arrayContaining(['bus', 'audit', 'reports', 'panel-acks', 'records']));

    const committedBefore = before.body.checks.core!.lastMinute.committed;
    const t0 = Date.now();
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-1',
      password: 'secret-panel-1',
      clientId: 'panel-1-health',
    });
    const published = performance.now();
    await panel.publishAsync(
      'sharpeyes/panels/panel-1/event',
      JSON.stringify({ id: 'health-1', type: 'panic', zone: '1', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    const pubackMs = performance.now() - published;
    await panel.endAsync();
    // The alarm path's last minute: the panic, and a wait for its durable decision within its PUBACK.
    const core = (await health(svc)).body.checks.core!.lastMinute;
    expect(core.committed).toBeGreaterThanOrEqual(committedBefore + 1);
    expect(core.waitMaxMs).toBeGreaterThan(0);
    expect(core.waitP50Ms).toBeLessThanOrEqual(core.waitP99Ms);
    expect(core.waitP99Ms).toBeLessThanOrEqual(core.waitMaxMs);
    // In this quiet city the panic is the minute's only event: its PUBACK came after its decision was
    // durable, so its wait is within the PUBACK's time.
    expect(core.waitP50Ms).toBeLessThanOrEqual(pubackMs);

    await expect
      .poll(async () => (await health(svc)).body.checks.outbox!.sinks['records']?.failures ?? 0, {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    const during = await health(svc);
    // A failing sink is not a failing node: load balancers keep sending panels here.
    expect(during.status).toBe(200);
    expect(during.body.status).toBe('ok');
    const sinks = during.body.checks.outbox!.sinks;
    const records = sinks['records']!;
    // The panic's decision wrote its rows (the event, the incident, its announcements).
    expect(records.behind).toBeGreaterThanOrEqual(2);
    expect(Date.parse(records.failingSince!)).toBeGreaterThanOrEqual(t0 - 1);
    expect(records.behindSeconds).toBeLessThan((Date.now() - t0) / 1000 + 1);
    // Every other sink took the panic.
    expect(sinks['bus']).toMatchObject({ behind: 0, failures: 0 });
    // What failed is in the log: health answers anyone.
    expect(JSON.stringify(during.body)).not.toContain('10.0.0.9');
    expect(await metricSum(svc.httpUrl, 'sharpeyes_outbox_lag_rows', { sink: 'records' })).toBe(
      records.behind,
    );

    down = false;
    await expect.poll(() => handled.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(records.behind);
    await expect
      .poll(async () => (await health(svc)).body.checks.outbox!.sinks['records'], { timeout: 10_000 })
      .toMatchObject({ behind: 0, behindSeconds: 0, failures: 0 });
    expect((await health(svc)).body.checks.outbox!.sinks['records']!.failingSince).toBeUndefined();
    expect(await metricSum(svc.httpUrl, 'sharpeyes_outbox_lag_rows', { sink: 'records' })).toBe(0);
  });
});
