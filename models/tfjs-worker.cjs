// The TF.js reference runner's worker (tfjs-reference.ts): a TF.js graph model on the WASM backend,
// the way @vladmandic/human runs it. CommonJS for the same reason as inference-worker.cjs. It lives in
// a worker because the WASM backend's Emscripten module installs process-wide uncaughtException and
// unhandledRejection handlers that rethrow; in a worker they cannot take the service or a test down.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const tf = require('@tensorflow/tfjs-core');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const { loadGraphModel } = require('@tensorflow/tfjs-converter');

async function open() {
  const { jsonPath, wasmDir, threads } = workerData;
  wasm.setWasmPaths(wasmDir.endsWith('/') ? wasmDir : `${wasmDir}/`);
  if (threads > 1) wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js WASM backend did not start');
  await tf.ready();
  const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const shards = json.weightsManifest.flatMap((g) =>
    g.paths.map((p) => readFileSync(join(dirname(jsonPath), p))),
  );
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
}

open().then(
  async (model) => {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    parentPort.postMessage({ type: 'ready', simd });
    parentPort.on('message', async (msg) => {
      try {
        const x = tf.tensor(new Float32Array(msg.data), msg.dims, 'float32');
        const t0 = performance.now();
        const raw = model.execute(x, msg.outputs);
        const list = Array.isArray(raw) ? raw : [raw];
        const outputs = {};
        const transfer = [];
        for (const [i, t] of list.entries()) {
          const data = await t.data();
          outputs[msg.outputs[i]] = { dims: t.shape, data: data.buffer };
          transfer.push(data.buffer);
        }
        const ms = performance.now() - t0;
        tf.dispose([x, ...list]);
        parentPort.postMessage({ type: 'result', id: msg.id, outputs, ms }, transfer);
      } catch (err) {
        parentPort.postMessage({ type: 'error', id: msg.id, message: String(err?.message ?? err) });
      }
    });
  },
  (err) => parentPort.postMessage({ type: 'fatal', message: String(err?.message ?? err) }),
);
