import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedPanelBroker, type PanelBrokerHooks } from '../../../drivers/mqtt-panel/embedded-broker.js';
import { ExternalPanelClient } from '../../../drivers/mqtt-panel/external-client.js';
import type { PanelWireEvent } from '../../../drivers/mqtt-panel/protocol.js';
import { type Mosquitto, startMosquitto } from './mosquitto.js';

/** Hooks whose commit fails the first `failures` times, recording every attempt and every commit. */
function flakyHooks(failures: number) {
  const attempts: string[] = [];
  const committed: string[] = [];
  let left = failures;
  const hooks: PanelBrokerHooks = {
    authenticate: (id, secret) => secret === `secret-${id}`,
    onEvent: async (_panelId, ev: PanelWireEvent) => {
      attempts.push(ev.id);
      if (left-- > 0) throw new Error('store is down');
      committed.push(ev.id);
    },
    onStatus: () => undefined,
    onHeartbeat: () => undefined,
    onReject: () => undefined,
  };
  return { hooks, attempts, committed };
}

const event = (id: string) => JSON.stringify({ id, type: 'panic', ts: new Date().toISOString() });

describe('commit before PUBACK', () => {
  it('embedded broker: a failed commit sends no PUBACK; the panel redelivers and the PUBACK follows the commit', async () => {
    const { hooks, attempts, committed } = flakyHooks(1);
    const broker = new EmbeddedPanelBroker({ port: 0, host: '127.0.0.1', hooks });
    const { port } = await broker.start();
    const panel = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'p1-flaky',
      username: 'p1',
      password: 'secret-p1',
      clean: false,
      reconnectPeriod: 50,
    });
    await panel.publishAsync('sharpeyes/panels/p1/event', event('e1'), { qos: 1 });
    expect(attempts).toEqual(['e1', 'e1']);
    expect(committed).toEqual(['e1']);
    await panel.endAsync();
    await broker.stop();
  });

  it('embedded broker: the PUBACK leaves when the commit resolves, not after the promise jobs queued behind it', async () => {
    // After a commit the socket rooms read the new incident in a long run of promise jobs. Aedes
    // writes the PUBACK to a corked socket that is uncorked on the next tick, which comes only after
    // all of them: the panel waited for the operators' reads. The panel here runs on its own thread
    // and raises a flag on its PUBACK; the run of jobs watches the flag (for 3 s at most).
    const flag = new SharedArrayBuffer(4);
    let seenWhileBusy: boolean | undefined;
    const busy = async () => {
      const end = Date.now() + 3000;
      while (Date.now() < end && Atomics.load(new Int32Array(flag), 0) === 0) await Promise.resolve();
      seenWhileBusy = Atomics.load(new Int32Array(flag), 0) === 1;
    };
    const hooks: PanelBrokerHooks = {
      authenticate: (id, secret) => secret === `secret-${id}`,
      onEvent: async () => {
        queueMicrotask(() => void busy());
      },
      onStatus: () => undefined,
      onHeartbeat: () => undefined,
      onReject: () => undefined,
    };
    const broker = new EmbeddedPanelBroker({ port: 0, host: '127.0.0.1', hooks });
    const { port } = await broker.start();
    const worker = new Worker(new URL('./puback-probe.worker.mjs', import.meta.url), {
      workerData: { url: `mqtt://127.0.0.1:${port}`, flag },
    });
    const next = () =>
      new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    try {
      expect(await next()).toBe('connected');
      worker.postMessage('publish');
      expect(await next()).toBe('acked');
      expect(seenWhileBusy).toBe(true);
    } finally {
      await worker.terminate();
      await broker.stop();
    }
  });

  describe('external broker (Mosquitto)', () => {
    let m: Mosquitto;
    beforeAll(async () => {
      m = await startMosquitto({ svc: 'svc-pass-1', p1: 'secret-p1' }, 'svc');
    });
    afterAll(async () => {
      await m?.stop();
    });

    it('a failed commit sends no PUBACK to the broker, which redelivers from the persistent session', async () => {
      const { hooks, attempts, committed } = flakyHooks(2);
      const client = new ExternalPanelClient({
        url: m.url,
        username: 'svc',
        password: 'svc-pass-1',
        clientId: `svc-${randomUUID().slice(0, 6)}`,
        connections: 1,
        knownPanel: () => true,
        hooks,
      });
      await client.start();
      const pub = await mqtt.connectAsync(m.url, {
        username: 'p1',
        password: 'secret-p1',
        clientId: 'p1-pub',
      });
      await pub.publishAsync('sharpeyes/panels/p1/event', event('x1'), { qos: 1 });
      await expect.poll(() => committed, { timeout: 10_000 }).toEqual(['x1']);
      expect(attempts).toEqual(['x1', 'x1', 'x1']);
      await pub.endAsync();
      await client.stop();
    });
  });
});
