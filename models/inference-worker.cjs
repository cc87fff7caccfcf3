// The inference worker of inference-pool.ts. Plain CommonJS on purpose: Node 20 workers do not
// inherit tsx's loader, so a .ts worker would not start under `npx tsx` or vitest.
// One worker holds one onnxruntime session per model it has been asked to run; a model is loaded on
// its first job (the pool sends the model source with it), so a pool shared by the detector and the
// plate reader only pays for what is used.
'use strict';
// Started through streams/worker-entry.mjs, which lowers the thread by `workerData.nice` before this
// file loads onnxruntime, whose own threads then take the lowered priority.
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);

const sessions = new Map();

function options() {
  const threads = workerData.threads;
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // Warnings of the graph optimizer are not the operator's business; errors still surface.
    logSeverityLevel: 3,
    // With more than one intra-op thread, idle threads spin by default and burn a core the event
    // loop and ffmpeg need; a verification burst is latency-tolerant, CPU is not.
    ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
}

function session(name, source) {
  let s = sessions.get(name);
  if (!s) {
    if (source === undefined) return Promise.reject(new Error(`model ${name} was never sent to this worker`));
    s = ort.InferenceSession.create(source, options());
    // A failed load is remembered: every later job of that model fails the same way, quickly.
    sessions.set(name, s);
  }
  return s;
}

// What this worker has started in onnxruntime and not yet answered: a session being created or a run.
const pending = new Set();

parentPort.on('message', (msg) => {
  if (msg.type === 'close') {
    void close();
    return;
  }
  const p = handle(msg);
  pending.add(p);
  void p.finally(() => pending.delete(p));
});

/**
 * The pool's close: onnxruntime's native work ends before the thread does. Terminating a worker while
 * a session was being created or a run was in flight aborted the whole process (onnxruntime-node's
 * completion throws into a thread being torn down: "terminate called after throwing an instance of
 * 'Napi::Error'"), so a service stopped during a verification lost the rest of its shutdown.
 */
async function close() {
  await Promise.allSettled([...pending]);
  for (const s of sessions.values()) {
    try {
      await (await s).release();
    } catch {
      // A session that failed to load has nothing to release.
    }
  }
  sessions.clear();
  // Nothing else keeps the thread alive: it ends on its own, and the pool sees its exit.
  parentPort.close();
}

async function handle(msg) {
  if (msg.type === 'load') {
    try {
      const s = await session(msg.model, msg.source);
      parentPort.postMessage({
        type: 'loaded',
        id: msg.id,
        model: msg.model,
        inputNames: s.inputNames,
        outputNames: s.outputNames,
      });
    } catch (err) {
      parentPort.postMessage({ type: 'error', id: msg.id, message: String(err?.message ?? err), load: true });
    }
    return;
  }
  try {
    const s = await session(msg.model, msg.source);
    const feeds = {};
    for (const [name, t] of Object.entries(msg.feeds)) {
      feeds[name] = new ort.Tensor(t.type, new Float32Array(t.data), t.dims);
    }
    const result = await s.run(feeds);
    const outputs = {};
    const transfer = [];
    for (const [name, t] of Object.entries(result)) {
      const data = t.data;
      outputs[name] = { dims: t.dims, data: data.buffer, offset: data.byteOffset, length: data.length };
      if (!transfer.includes(data.buffer)) transfer.push(data.buffer);
    }
    parentPort.postMessage({ type: 'result', id: msg.id, outputs }, transfer);
  } catch (err) {
    parentPort.postMessage({ type: 'error', id: msg.id, message: String(err?.message ?? err) });
  }
}
parentPort.postMessage({ type: 'ready' });
