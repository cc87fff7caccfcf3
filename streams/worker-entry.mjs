// Entry of every worker thread the media plane starts. A worker does not inherit the tsx loader the
// service was started with (bin/sharpeyes.js registers it in-process, which workers do not see), so a
// TypeScript worker module registers tsx itself before it is imported.
import { getPriority, setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';

// `nice`: how far below the thread that started it this one runs (issue 13: the service's alarm thread
// above its helpers). Done first, before tsx and the module load: on Linux a priority is per thread, so
// this lowers the worker alone (elsewhere it would lower the whole process, so it is not done there).
// The service's pass over its threads every 10 s (src/util/helper-threads.ts) would find it later.
const nice = Number(workerData?.nice ?? 0);
if (nice > 0 && process.platform === 'linux') {
  try {
    setPriority(Math.min(19, getPriority() + nice));
  } catch (err) {
    // Not permitted: the service's pass tries again and logs why once.
    console.warn('worker: could not lower its priority', err);
  }
}

const entry = String(workerData?.entry ?? '');
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
