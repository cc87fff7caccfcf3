// Entry of every worker thread the media plane starts. A worker does not inherit the tsx loader the
// service was started with (bin/sharpeyes.js registers it in-process, which workers do not see), so a
// TypeScript worker module registers tsx itself before it is imported.
import { workerData } from 'node:worker_threads';

const entry = String(workerData?.entry ?? '');
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
