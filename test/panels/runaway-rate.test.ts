import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

/**
 * Issue 13, a runaway panel on the embedded broker: past its burst its events are committed and
 * PUBACKed at `mqtt.embedded.panelRate.perSecond`, so the broker reads its socket slower and the event
 * loop stays free for everyone else. Nothing it sent is lost, and its own panic never waits.
 */
describe('a runaway panel is held to its rate', () => {
  let svc: TestService;
  beforeAll(async () => {
    const yaml = TEST_CITY_YAML.replace(
      'mqtt: { embedded: { port: 0, host: 127.0.0.1 } }',
      'mqtt: { embedded: { port: 0, host: 127.0.0.1, panelRate: { perSecond: 20, burst: 10 } } }',
    );
    expect(yaml).toContain('perSecond: 20');
    svc = await startTestService({ yaml });
  });
  afterAll(async () => svc?.close());

  it('its events past the burst come at the rate, all kept in order, while its panic and other panels go at once', async () => {
    const flood = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-1',
      password: 'secret-panel-1',
      clientId: 'panel-1',
    });
    const other = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-2',
      password: 'secret-panel-2',
      clientId: 'panel-2',
    });
    const acked: string[] = [];
    const send = (client: mqtt.MqttClient, panel: string, id: string, type: string) =>
      client
        .publishAsync(
          `sharpeyes/panels/${panel}/event`,
          JSON.stringify({ id, type, zone: '1', ts: new Date().toISOString() }),
          { qos: 1 },
        )
        .then(() => acked.push(id));
    const t0 = performance.now();
    const floodDone = Promise.all(
      Array.from({ length: 40 }, (_, i) => send(flood, 'panel-1', `f${i}`, 'intrusion')),
    );
    await expect.poll(() => acked.length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(10);
    // Held: the rest of the flood is queued; a panic from another panel is PUBACKed before it.
    await send(other, 'panel-2', 'other-panic', 'panic');
    expect(acked.filter((a) => a.startsWith('f')).length).toBeLessThan(40);
    // The runaway's own panic is never held to the rate once read; Aedes reads the panel's socket
    // again only when what it read before is handled, so it may come after the flood's in-flight events.
    await send(flood, 'panel-1', 'own-panic', 'panic');
    await floodDone;
    const elapsed = performance.now() - t0;
    // 30 events past the burst at 20 a second: at least 1.5 s (however fast the machine).
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(acked.filter((a) => a.startsWith('f'))).toEqual(Array.from({ length: 40 }, (_, i) => `f${i}`));
    const stored = await svc.svc
      .need('store')
      .k.selectFrom('events')
      .select('key')
      .where('key', 'like', 'panel:panel-1:f%')
      .execute();
    expect(stored).toHaveLength(40);
    // Both panics are P1 incidents (the runaway's joins and raises its site's open incident).
    const panics = await svc.svc
      .need('store')
      .k.selectFrom('incident_events')
      .innerJoin('incidents', 'incidents.id', 'incident_events.incident_id')
      .select(['incident_events.event_key as key', 'incidents.priority', 'incidents.kind', 'incidents.state'])
      .where('incident_events.event_key', 'in', ['panel:panel-1:own-panic', 'panel:panel-2:other-panic'])
      .execute();
    expect(panics.map((p) => p.priority)).toEqual([1, 1]);
    await flood.endAsync();
    await other.endAsync();
  });
});
