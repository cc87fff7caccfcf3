// A panel on its own thread (commit-before-puback.test.ts): publishes one event at QoS 1 and raises
// a shared flag the moment its PUBACK arrives, whatever the broker's thread is doing meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

const { url, flag } = workerData;
const panel = await mqtt.connectAsync(url, { clientId: 'p1-probe', username: 'p1', password: 'secret-p1' });
parentPort.postMessage('connected');
parentPort.once('message', async () => {
  await panel.publishAsync(
    'sharpeyes/panels/p1/event',
    JSON.stringify({ id: 'probe-1', type: 'panic', ts: new Date().toISOString() }),
    { qos: 1 },
  );
  Atomics.store(new Int32Array(flag), 0, 1);
  await panel.endAsync();
  parentPort.postMessage('acked');
});
