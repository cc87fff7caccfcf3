import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { rowCount } from '../helpers/rows.js';
import { startTestService, type TestService } from '../helpers/service.js';

/**
 * Issue 13: before its broker listens, the service rehearses the first panel's alarms through the
 * core (rolled back), then a panel's round trip through the broker itself, so the first panic after
 * a start does not pay for building the decision's statements or the broker's first use. The rehearsal must leave nothing behind: no event, incident or outbox row, no push,
 * no ack, no count.
 */
describe('the alarm path is rehearsed before panels can connect', () => {
  let svc: TestService;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const log = createLogger({
      level: 'info',
      destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
    });
    svc = await startTestService({ log });
  });
  afterAll(async () => svc?.close());

  it('rehearses before the broker listens, and keeps nothing of it', async () => {
    const msgs = lines.map((l) => l['msg']);
    const rehearsed = msgs.indexOf('panels: alarm path rehearsed');
    expect(rehearsed).toBeGreaterThanOrEqual(0);
    expect(lines[rehearsed]).toMatchObject({ decisions: 24 });
    expect(rehearsed).toBeLessThan(msgs.indexOf('panels: embedded MQTT broker listening'));
    // Then the broker makes a panel's round trip through itself, its panics decided as panel-1's.
    const roundTrip = msgs.indexOf('panels: broker rehearsed a panel round trip');
    expect(lines[roundTrip]).toMatchObject({ rounds: 3 });
    expect(roundTrip).toBeGreaterThan(rehearsed);
    expect(roundTrip).toBeLessThan(msgs.indexOf('panels: embedded MQTT broker listening'));
    // And once every module has added its annotations, the first push: the view read twice.
    const push = msgs.indexOf('outbox: the first push rehearsed');
    expect(lines[push]).toMatchObject({ views: 2 });
    expect(push).toBeGreaterThan(msgs.indexOf('panels: embedded MQTT broker listening'));
    const k = svc.svc.need('store').k;
    const count = (t: 'events' | 'incidents' | 'transitions' | 'incident_plans') => rowCount(k, t);
    expect(await count('events')).toBe(0);
    expect(await count('incidents')).toBe(0);
    expect(await count('transitions')).toBe(0);
    expect(await count('incident_plans')).toBe(0);
    const rows = await k.selectFrom('outbox').select(['topic', 'payload']).execute();
    expect(rows.filter((r) => String(r.payload).includes('rehearsal'))).toEqual([]);
    const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    expect(metrics).not.toMatch(/^sharpeyes_incidents_opened_total\{/m);
    expect(metrics).not.toMatch(/^sharpeyes_events_committed_total\{/m);
  });

  it('the first real panic after it is decided, announced and acknowledged as usual', async () => {
    const token = await svc.login('rehearsal-op');
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-1',
      password: 'secret-panel-1',
      clientId: 'panel-1',
    });
    try {
      const acks: Record<string, unknown>[] = [];
      await panel.subscribeAsync('sharpeyes/panels/panel-1/ack', { qos: 1 });
      panel.on('message', (_t, p) => acks.push(JSON.parse(p.toString()) as Record<string, unknown>));
      await panel.publishAsync(
        'sharpeyes/panels/panel-1/event',
        JSON.stringify({ id: 'first-panic', type: 'panic', zone: '1', ts: new Date().toISOString() }),
        { qos: 1 },
      );
      await expect.poll(() => acks.length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(acks[0]).toMatchObject({ id: 'first-panic', state: 'received', incident: expect.any(String) });
      const res = await fetch(`${svc.httpUrl}/api/incidents`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { incidents } = (await res.json()) as {
        incidents: { id: string; site: string; priority: number }[];
      };
      expect(incidents).toEqual([
        expect.objectContaining({ id: acks[0]!['incident'], site: 'shop-1', priority: 1 }),
      ]);
      const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/^sharpeyes_incidents_opened_total\{priority="1",rule="[^"]+"\} 1$/m);
    } finally {
      await panel.endAsync();
    }
  });
});
