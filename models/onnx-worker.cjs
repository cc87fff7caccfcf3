// The inference worker of onnx-pool.ts. Plain CommonJS on purpose: Node 20 workers do not inherit
// tsx's loader, so a .ts worker would not start under `npx tsx` or vitest.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);

const ready = ort.InferenceSession.create(workerData.model, {
  intraOpNumThreads: workerData.threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
});

ready.then(
  (session) => {
    parentPort.postMessage({
      type: 'ready',
      inputNames: session.inputNames,
      outputNames: session.outputNames,
    });
    parentPort.on('message', async (msg) => {
      try {
        const feeds = {};
        for (const [name, t] of Object.entries(msg.feeds)) {
          feeds[name] = new ort.Tensor(t.type, new Float32Array(t.data), t.dims);
        }
        const result = await session.run(feeds);
        const outputs = {};
        const transfer = [];
        for (const [name, t] of Object.entries(result)) {
          const data = t.data;
          outputs[name] = { dims: t.dims, data: data.buffer, offset: data.byteOffset, length: data.length };
          transfer.push(data.buffer);
        }
        parentPort.postMessage({ type: 'result', id: msg.id, outputs }, transfer);
      } catch (err) {
        parentPort.postMessage({
          type: 'error',
          id: msg.id,
          message: String(err?.message ?? err),
        });
      }
    });
  },
  (err) => {
    parentPort.postMessage({ type: 'fatal', message: String(err?.message ?? err) });
  },
);
