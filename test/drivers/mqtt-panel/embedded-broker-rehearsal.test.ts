import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EmbeddedPanelBroker,
  type PanelBrokerHooks,
  REHEARSAL_CLIENT,
} from '../../../drivers/mqtt-panel/embedded-broker.js';
import type { PanelWireEvent } from '../../../drivers/mqtt-panel/protocol.js';

/**
 * Issue 13: before it listens, the embedded broker makes a panel's whole round trip through itself
 * (connect, subscribe, a QoS 1 panic, its PUBACK and ack, disconnect) so that the first real panic
 * after a start does not pay for Aedes', mqtt-packet's and the session store's first use. The panic
 * goes to `hooks.rehearse`, never to `onEvent`, and nothing of it stays: no session, no queued ack,
 * no connected client, no way in for anyone else under its name.
 */
function recordingHooks(rehearse?: (ev: PanelWireEvent) => Promise<void>) {
  const seen = { events: [] as string[], rehearsed: [] as PanelWireEvent[], rejects: [] as string[] };
  const statuses: string[] = [];
  const hooks: PanelBrokerHooks = {
    authenticate: (id, secret) => secret === `secret-${id}`,
    knownPanel: (id) => id === 'p1',
    onEvent: async (_id, ev) => void seen.events.push(ev.id),
    onStatus: (id, s) => void statuses.push(`${id}:${s}`),
    onHeartbeat: () => undefined,
    onReject: (_id, reason) => void seen.rejects.push(reason),
    rehearse:
      rehearse ??
      (async (ev) => {
        seen.rehearsed.push(ev);
      }),
  };
  return { hooks, seen, statuses };
}

const dirs: string[] = [];
const brokers: EmbeddedPanelBroker[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function startBroker(hooks: PanelBrokerHooks, sessionsDir?: string, rehearsalLimitMs?: number) {
  const broker = new EmbeddedPanelBroker({
    port: 0,
    host: '127.0.0.1',
    hooks,
    sessionsDir,
    ...(rehearsalLimitMs ? { rehearsalLimitMs } : {}),
  });
  brokers.push(broker);
  return { broker, ...(await broker.start()) };
}

/** Panel p1's panic `real`, published at QoS 1 once the broker listens; resolves on its PUBACK. */
async function realPanic(port: number) {
  const panel = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: 'p1',
    username: 'p1',
    password: 'secret-p1',
    reconnectPeriod: 0,
  });
  await panel.publishAsync(
    'sharpeyes/panels/p1/event',
    JSON.stringify({ id: 'real', type: 'panic', ts: new Date().toISOString() }),
    { qos: 1 },
  );
  await panel.endAsync();
}

describe('the embedded broker rehearses a panel round trip before it listens', () => {
  it('decides three panics through the rehearse hook, PUBACKs and acks them, and hands nothing to onEvent', async () => {
    const { hooks, seen, statuses } = recordingHooks();
    const { broker, rehearsal } = await startBroker(hooks);
    expect(rehearsal).toMatchObject({ rounds: 3 });
    expect(seen.rehearsed.map((e) => [e.id, e.type])).toEqual([
      ['rehearsal-0', 'panic'],
      ['rehearsal-1', 'panic'],
      ['rehearsal-2', 'panic'],
    ]);
    expect(seen.events).toEqual([]);
    expect(seen.rejects).toEqual([]);
    expect(statuses).toEqual([]);
    expect(broker.connectedPanels()).toBe(0);
    expect(broker.clientIds()).toEqual([]);
  });

  it('after the rehearsal nobody can log in under its name, whatever the secret', async () => {
    const { hooks, seen } = recordingHooks();
    const { port } = await startBroker(hooks);
    for (const password of ['', 'secret-_rehearsal', 'x'.repeat(32)]) {
      await expect(
        mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
          clientId: REHEARSAL_CLIENT,
          username: REHEARSAL_CLIENT,
          password,
          reconnectPeriod: 0,
        }),
      ).rejects.toThrow(/Bad username or password|Identifier rejected/);
    }
    // The test's hooks take `secret-<id>` for any id: that one passes the secret check and is then
    // refused for a client id that is no panel's.
    expect(seen.rejects).toEqual(['bad_credentials', 'foreign_client_id', 'bad_credentials']);
  });

  it('leaves no session on disk, and a panel offline across a restart finds only its own acks queued', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'broker-rehearsal-'));
    dirs.push(dir);
    const sessions = join(dir, 'sessions');
    const first = recordingHooks();
    const a = await startBroker(first.hooks, sessions);
    const url = (port: number) => `mqtt://127.0.0.1:${port}`;
    const panel = await mqtt.connectAsync(url(a.port), {
      clientId: 'p1',
      username: 'p1',
      password: 'secret-p1',
      clean: false,
      reconnectPeriod: 0,
    });
    await panel.subscribeAsync('sharpeyes/panels/p1/ack', { qos: 1 });
    await panel.endAsync();
    await a.broker.publish('sharpeyes/panels/p1/ack', { id: 'queued-while-away', state: 'received' });
    await a.broker.stop();
    brokers.splice(brokers.indexOf(a.broker), 1);

    const second = recordingHooks();
    const b = await startBroker(second.hooks, sessions);
    expect(b.rehearsal).toMatchObject({ rounds: 3 });
    const received: string[] = [];
    const back = mqtt.connect(url(b.port), {
      clientId: 'p1',
      username: 'p1',
      password: 'secret-p1',
      clean: false,
      reconnectPeriod: 0,
    });
    back.on('message', (_t, p) => received.push(String((JSON.parse(p.toString()) as { id: string }).id)));
    await expect.poll(() => received, { timeout: 5000 }).toEqual(['queued-while-away']);
    await back.endAsync();
    await b.broker.stop();
    brokers.splice(brokers.indexOf(b.broker), 1);

    const level = new Level<string, Buffer>(sessions, { valueEncoding: 'buffer' });
    try {
      const leftovers: string[] = [];
      for await (const [key, value] of level.iterator())
        if (`${key} ${value.toString('latin1')}`.includes(REHEARSAL_CLIENT)) leftovers.push(key);
      expect(leftovers).toEqual([]);
    } finally {
      await level.close();
    }
  });

  it('a rehearsal whose decision fails is abandoned at once; the broker listens and panels are served', async () => {
    const { hooks, seen } = recordingHooks(async () => {
      throw new Error('store is down');
    });
    const { broker, port, rehearsal } = await startBroker(hooks);
    expect(rehearsal).toMatchObject({ error: expect.any(Error) });
    expect(rehearsal && 'error' in rehearsal ? rehearsal.error.message : '').toMatch(
      /ended the rehearsal connection/,
    );
    expect(broker.connectedPanels()).toBe(0);
    await realPanic(port);
    expect(seen.events).toEqual(['real']);
  });

  it('a rehearsal whose decision hangs is abandoned at its time limit; a late answer changes nothing', async () => {
    let release: (() => void) | undefined;
    const { hooks, seen } = recordingHooks(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    const { broker, port, rehearsal } = await startBroker(hooks, undefined, 300);
    expect(rehearsal && 'error' in rehearsal ? rehearsal.error.message : '').toMatch(/took over 300 ms/);
    // The hung decision answers after the broker gave up on it: no ack, no error, nobody connected.
    release?.();
    await new Promise((r) => setTimeout(r, 100));
    expect(broker.connectedPanels()).toBe(0);
    await realPanic(port);
    expect(seen.events).toEqual(['real']);
    expect(seen.rejects).toEqual([]);
  });
});
