import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../helpers/service.js';
import { rejectedCount, storedEvents } from './helpers.js';

const now = () => new Date().toISOString();

describe('embedded broker security', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.close();
  });
  const connect = (username: string, password: string, clientId: string) =>
    mqtt.connectAsync(svc.mqttUrl, { username, password, clientId, reconnectPeriod: 0 });

  it.each([
    ['a wrong secret', 'panel-1', 'secret-panel-2'],
    ['an unknown panel', 'panel-9', 'secret-panel-9'],
    ['an empty secret', 'panel-1', ''],
  ])('refuses %s at CONNECT and counts it', async (_name, user, secret) => {
    const before = await rejectedCount(svc.httpUrl, 'bad_credentials');
    await expect(connect(user, secret, `bad-${user}`)).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    );
    expect(await rejectedCount(svc.httpUrl, 'bad_credentials')).toBe(before + 1);
  });

  it.each([
    ['another panel’s event topic', 'sharpeyes/panels/panel-2/event'],
    ['its own ack topic (service → panel)', 'sharpeyes/panels/panel-1/ack'],
    ['another panel’s command topic', 'sharpeyes/panels/panel-2/command'],
    ['a topic outside the protocol', 'sharpeyes/admin/shutdown'],
  ])('refuses a publish to %s: counted, nothing stored, nothing forwarded', async (_name, topic) => {
    const spy = await connect(
      'panel-2',
      'secret-panel-2',
      `panel-2-spy-${Math.random().toString(36).slice(2, 8)}`,
    );
    const seen: string[] = [];
    spy.on('message', (t) => seen.push(t));
    await spy.subscribeAsync(['sharpeyes/panels/panel-2/ack', 'sharpeyes/panels/panel-2/command'], {
      qos: 1,
    });
    const before = await rejectedCount(svc.httpUrl, 'not_authorized');
    const storedBefore = storedEvents(svc.svc.need('store').db, 'panel-2');
    const intruder = await connect(
      'panel-1',
      'secret-panel-1',
      `panel-1-intruder-${Math.random().toString(36).slice(2, 8)}`,
    );
    const closed = new Promise<void>((resolve) => intruder.once('close', () => resolve()));
    intruder.publish(topic, JSON.stringify({ id: 'forged-1', type: 'panic', ts: now() }), { qos: 1 });
    // Aedes closes a connection whose publish is not authorized.
    await closed;
    await intruder.endAsync(true);
    expect(await rejectedCount(svc.httpUrl, 'not_authorized')).toBe(before + 1);
    expect(storedEvents(svc.svc.need('store').db, 'panel-2')).toBe(storedBefore);
    expect(seen).toEqual([]);
    await spy.endAsync();
  });

  it.each([
    ['another panel’s ack', 'sharpeyes/panels/panel-2/ack'],
    ['another panel’s command', 'sharpeyes/panels/panel-2/command'],
    ['every panel’s events', 'sharpeyes/panels/+/event'],
    ['everything', '#'],
  ])('refuses a subscription to %s and counts it', async (_name, topic) => {
    const before = await rejectedCount(svc.httpUrl, 'not_authorized');
    const client = await connect(
      'panel-1',
      'secret-panel-1',
      `panel-1-sub-${Math.random().toString(36).slice(2, 8)}`,
    );
    // SUBACK 0x80 (failure); mqtt.js turns it into a rejection.
    await expect(client.subscribeAsync(topic, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(await rejectedCount(svc.httpUrl, 'not_authorized')).toBe(before + 1);
    // Its own topics are still granted.
    const own = await client.subscribeAsync('sharpeyes/panels/panel-1/ack', { qos: 1 });
    expect(own[0]?.qos).toBe(1);
    await client.endAsync();
  });

  it('refuses an oversized payload: counted, nothing stored, the panel keeps its connection', async () => {
    const before = await rejectedCount(svc.httpUrl, 'too_large');
    const storedBefore = storedEvents(svc.svc.need('store').db, 'panel-1');
    const client = await connect('panel-1', 'secret-panel-1', 'panel-1-big');
    const big = JSON.stringify({ id: 'big-1', type: 'arm', ts: now(), pad: 'x'.repeat(20_000) });
    await client.publishAsync('sharpeyes/panels/panel-1/event', big, { qos: 1 });
    expect(await rejectedCount(svc.httpUrl, 'too_large')).toBe(before + 1);
    expect(storedEvents(svc.svc.need('store').db, 'panel-1')).toBe(storedBefore);
    // The next good event goes through on the same connection.
    await client.publishAsync(
      'sharpeyes/panels/panel-1/event',
      JSON.stringify({ id: 'ok-1', type: 'test', ts: now() }),
      {
        qos: 1,
      },
    );
    expect(storedEvents(svc.svc.need('store').db, 'panel-1')).toBe(storedBefore + 1);
    await client.endAsync();
  });

  it.each([
    ["the other panel's own id", 'panel-2'],
    ["an id that starts with the other panel's", 'panel-2-takeover'],
    ["an id that is no panel's", 'anything'],
  ])(
    'a panel may not connect with %s as client id: refused, the owner stays online',
    async (_n, clientId) => {
      const owner = await connect('panel-2', 'secret-panel-2', 'panel-2');
      let ownerClosed = false;
      owner.on('close', () => {
        ownerClosed = true;
      });
      const before = await rejectedCount(svc.httpUrl, 'foreign_client_id');
      await expect(connect('panel-1', 'secret-panel-1', clientId)).rejects.toThrow(/Identifier rejected/i);
      expect(await rejectedCount(svc.httpUrl, 'foreign_client_id')).toBe(before + 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(ownerClosed).toBe(false);
      expect(owner.connected).toBe(true);
      // No will fired, no communication-lost ticket for the owner's site.
      const tickets = await svc.svc.need('store').incidents.list({ site: 'bank-2', kind: 'maintenance' });
      expect(tickets).toEqual([]);
      await owner.endAsync();
    },
  );
});
