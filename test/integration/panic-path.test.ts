import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import { api, nextEvent, opsClient, startTestService, type TestService } from '../helpers/service.js';

/** The smallest real path: a panel presses panic, an operator's socket shows it, the panel hears back. */
describe('panic path end to end', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('a panic from a plain MQTT client becomes incident:new and an ack, then acknowledged', async () => {
    const token = await svc.login('op-city', 'operator', 'city');
    const socket = await opsClient(svc.httpUrl, token);
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-1',
      password: 'secret-panel-1',
      clientId: 'panel-1',
    });
    const acks: { id: string; incident?: string; state: string }[] = [];
    panel.on('message', (_t, payload) => acks.push(JSON.parse(payload.toString())));
    await panel.subscribeAsync('sharpeyes/panels/panel-1/ack', { qos: 1 });

    const seen = nextEvent<Incident>(socket, 'incident:new');
    await panel.publishAsync(
      'sharpeyes/panels/panel-1/event',
      JSON.stringify({ id: 'evt-1', type: 'panic', zone: '1', ts: new Date().toISOString(), cid: 'E120' }),
      { qos: 1 },
    );
    const inc = await seen;
    expect(inc).toMatchObject({ site: 'shop-1', priority: 1, state: 'new', jurisdiction: 'north-grid-1' });
    expect(inc.events.map((e) => e.type)).toEqual(['panic']);

    await expect
      .poll(() => acks.find((a) => a.id === 'evt-1'))
      .toEqual({ id: 'evt-1', incident: inc.id, state: 'received' });

    const updated = nextEvent<Incident>(socket, 'incident:update', (i) => i.state === 'acknowledged');
    const res = await api<Incident>(`${svc.httpUrl}/api/incidents/${inc.id}/ack`, token, {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect((await updated).transitions.map((t) => t.to)).toEqual(['new', 'acknowledged']);
    await expect
      .poll(() => acks.find((a) => a.state === 'acknowledged'))
      .toEqual({ id: 'evt-1', incident: inc.id, state: 'acknowledged' });

    // Acknowledging twice is an illegal transition, refused with 409.
    const again = await api<{ error: { code: string } }>(
      `${svc.httpUrl}/api/incidents/${inc.id}/ack`,
      token,
      { method: 'POST', body: '{}' },
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('illegal_transition');

    socket.close();
    await panel.endAsync();
  });

  it('a redelivered event (same panel and id) makes no second incident', async () => {
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-2',
      password: 'secret-panel-2',
      clientId: 'panel-2',
    });
    const payload = JSON.stringify({ id: 'dup-1', type: 'fire', ts: new Date().toISOString() });
    await panel.publishAsync('sharpeyes/panels/panel-2/event', payload, { qos: 1 });
    await panel.publishAsync('sharpeyes/panels/panel-2/event', payload, { qos: 1 });
    const token = await svc.login('op-city');
    const { body } = await api<{ incidents: Incident[] }>(`${svc.httpUrl}/api/incidents?site=bank-2`, token);
    expect(body.incidents).toHaveLength(1);
    expect(body.incidents[0]?.events).toHaveLength(1);
    await panel.endAsync();
  });
});
