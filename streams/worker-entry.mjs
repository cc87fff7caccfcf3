// Entry of every worker thread the service starts (the segment writer, the report workers, the
// inference pool's workers, the detector's conversion). A worker does not inherit the tsx loader the
// service was started with (bin/sharpeyes.js registers it in-process, which workers do not see), so a
// TypeScript worker module registers tsx itself before it is imported.
import { getPriority, setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';

// `nice`: how far below the thread that started it this one runs (issue 13: the service's alarm thread
// above its helpers; 19 or more: the lowest). Done first, before tsx and the module load, which take a
// few hundred milliseconds: on Linux a priority is per thread, so this lowers the worker alone
// (elsewhere it would lower the whole process, so it is not done there).
const nice = Number(workerData?.nice ?? 0);
if (nice > 0 && process.platform === 'linux') {
  try {
    setPriority(Math.min(19, getPriority() + nice));
  } catch {
    // Refused: the service's pass over its threads (src/util/helper-threads.ts) or the report worker's
    // own call (report-worker-main.ts) tries again and says why, once.
  }
}

const entry = String(workerData?.entry ?? '');
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
