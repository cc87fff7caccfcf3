import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../../drivers/simulator/panel-simulator.js';
import type { Incident } from '../../../src/core/incident-types.js';
import type { PanelCommand } from '../../../src/panels/panel-store.js';
import { api, startTestService, TEST_CITY_YAML, type TestService } from '../../helpers/service.js';
import { rejectedCount, storedEvents } from './helpers.js';
import { type Mosquitto, startMosquitto } from './mosquitto.js';

const run = promisify(execFile);
const USERS = {
  'sharpeyes-core': 'core-pass-123',
  'panel-1': 'secret-panel-1',
  'panel-2': 'secret-panel-2',
  'panel-9': 'secret-panel-9', // known to the broker, not configured in Sharpeyes
};

function pub(
  m: Mosquitto,
  user: string,
  topic: string,
  message: string,
  pass = USERS[user as keyof typeof USERS],
) {
  return run('mosquitto_pub', [
    '-h',
    '127.0.0.1',
    '-p',
    String(m.port),
    '-u',
    user,
    '-P',
    pass,
    '-q',
    '1',
    '-t',
    topic,
    '-m',
    message,
  ]);
}
const event = (id: string, type = 'panic') =>
  JSON.stringify({ id, type, ts: new Date().toISOString(), zone: '1' });

describe('external broker (real Mosquitto)', () => {
  let broker: Mosquitto;
  let svc: TestService;
  let dataDir: string | undefined;
  const clientId = `core-${randomUUID().slice(0, 8)}`;
  const yaml = () =>
    TEST_CITY_YAML.replace(
      'mqtt: { embedded: { port: 0, host: 127.0.0.1 } }',
      `mqtt: { url: "${broker.url}", username: sharpeyes-core, password: core-pass-123, clientId: ${clientId} }`,
    );

  beforeAll(async () => {
    broker = await startMosquitto(USERS);
    svc = await startTestService({ yaml: yaml(), keepData: true });
    dataDir = svc.dataDir;
  });
  afterAll(async () => {
    await svc?.close();
    await broker?.stop();
    // The first service keeps its data for the restart test; remove it even when that test did not run.
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a panic through Mosquitto is committed, opens an incident, and the panel hears the ack', async () => {
    const panel = new PanelSimulator({ url: broker.url, id: 'panel-1', secret: 'secret-panel-1' });
    await panel.connect();
    const id = await panel.send('panic', { zone: '1', cid: 'E120' });
    const ack = await panel.waitForAck(id, 'received');
    expect(ack.incident).toMatch(/^INC-/);
    const inc = (await svc.svc.need('store').incidents.get(ack.incident!)) as Incident;
    expect(inc).toMatchObject({ site: 'shop-1', priority: 1 });
    await panel.close();
  });

  it('commands go out through Mosquitto and the reply is tracked', async () => {
    const panel = new PanelSimulator({ url: broker.url, id: 'panel-2', secret: 'secret-panel-2' });
    await panel.connect();
    const token = await svc.login('op-ext', 'operator', 'city');
    const res = await api<PanelCommand>(`${svc.httpUrl}/api/panels/panel-2/command`, token, {
      method: 'POST',
      body: JSON.stringify({ command: 'arm_away' }),
    });
    expect(res.status).toBe(202);
    await expect
      .poll(
        async () =>
          (
            await svc.svc
              .part<{ get(id: string): Promise<PanelCommand | undefined> }>('panels.commands')
              .get(res.body.requestId)
          )?.state,
      )
      .toBe('ok');
    await panel.close();
  });

  it.each([
    ['foreign topic (panel-1 writes panel-2’s events)', 'panel-1', 'sharpeyes/panels/panel-2/event'],
    ['service topic (panel-1 writes its own ack)', 'panel-1', 'sharpeyes/panels/panel-1/ack'],
  ])('the broker ACL drops a %s: nothing stored', async (_name, user, topic) => {
    const forged = `forged-${randomUUID()}`;
    await pub(broker, user, topic, event(forged));
    // A control message on the service's path proves the forged one had its chance to arrive.
    const marker = `marker-${randomUUID()}`;
    await pub(broker, 'panel-1', 'sharpeyes/panels/panel-1/event', event(marker, 'test'));
    const events = svc.svc.need('store').events;
    await expect.poll(() => events.get(`panel:panel-1:${marker}`)).toBeDefined();
    const stored = svc.svc.need('store').db.prepare('SELECT COUNT(*) AS n FROM events WHERE key LIKE ?');
    expect(stored.get(`%${forged}`)).toEqual({ n: 0 });
  });

  it('a foreign subscriber (mosquitto_sub as panel-1 on every panel’s events) receives nothing', async () => {
    const sub = run('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '-u',
      'panel-1',
      '-P',
      'secret-panel-1',
      '-t',
      'sharpeyes/panels/+/event',
      '-W',
      '2',
      '-v',
    ]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    await new Promise((r) => setTimeout(r, 300));
    await pub(broker, 'panel-2', 'sharpeyes/panels/panel-2/event', event(`private-${randomUUID()}`, 'test'));
    expect((await sub).stdout).toBe('');
  });

  it('a service with a wrong broker password fails to start, naming the broker without its credentials', async () => {
    const bad = TEST_CITY_YAML.replace(
      'mqtt: { embedded: { port: 0, host: 127.0.0.1 } }',
      `mqtt: { url: "mqtt://sharpeyes-core:wrong@127.0.0.1:${broker.port}", clientId: bad-${clientId} }`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-ext-bad-'));
    const err = await startTestService({ yaml: bad, dataDir: dir }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    rmSync(dir, { recursive: true, force: true });
    expect(err?.message).toMatch(/cannot use the external broker mqtt:\/\/\[redacted\]@127\.0\.0\.1/);
    expect(err?.message).not.toContain('wrong');
  });

  it('a wrong secret is refused by the broker', async () => {
    await expect(
      pub(broker, 'panel-1', 'sharpeyes/panels/panel-1/event', event('x'), 'wrong-secret'),
    ).rejects.toThrow();
  });

  it.each([
    ['bad JSON from a configured panel', 'panel-1', '{not json', 'bad_json'],
    ['an event from a panel Sharpeyes does not know', 'panel-9', event('p9-1'), 'unknown_panel'],
    [
      'an oversized arm report',
      'panel-1',
      JSON.stringify({ id: 'big', type: 'arm', ts: new Date().toISOString(), pad: 'x'.repeat(9000) }),
      'too_large',
    ],
  ])('%s is rejected and counted', async (_name, user, message, reason) => {
    const before = await rejectedCount(svc.httpUrl, reason);
    await pub(broker, user, `sharpeyes/panels/${user}/event`, message);
    await expect.poll(() => rejectedCount(svc.httpUrl, reason)).toBe(before + 1);
    expect(storedEvents(svc.svc.need('store').db, 'panel-9')).toBe(0);
  });

  it('events published while the service is down wait in its persistent session and are committed on return', async () => {
    await svc.svc.need('core').drain();
    const { stop } = svc;
    await stop();
    const ids = Array.from({ length: 50 }, (_v, i) => `offline-${i}-${randomUUID().slice(0, 6)}`);
    for (const id of ids)
      await pub(broker, 'panel-2', 'sharpeyes/panels/panel-2/event', event(id, 'intrusion'));
    svc = await startTestService({ yaml: yaml(), dataDir });
    const store = svc.svc.need('store');
    await expect
      .poll(
        async () =>
          (await Promise.all(ids.map((id) => store.events.get(`panel:panel-2:${id}`)))).filter(Boolean)
            .length,
        {
          timeout: 10_000,
        },
      )
      .toBe(ids.length);
  });
});
