// Entry of a report worker thread: loads the TypeScript worker through tsx (as bin/sharpeyes.js loads
// the CLI), whatever started the parent (tsx, vitest, plain node with --import tsx).
import { setPriority } from 'node:os';

// The lowest priority before anything else (issue 13): loading tsx and the report code takes a few
// hundred milliseconds, which would otherwise run at the alarm thread's priority. On Linux a priority
// is per thread; report-worker-main.ts sets it again and tells the parent if it was refused.
if (process.platform === 'linux') {
  try {
    setPriority(19);
  } catch {
    // Refused: report-worker-main.ts tries again and reports why.
  }
}
// tsx is imported only now (a static import would load before the line above runs).
const { register } = await import('tsx/esm/api');
register();
await import('./report-worker-main.ts');
