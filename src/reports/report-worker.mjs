// Entry of a report worker thread: loads the TypeScript worker through tsx (as bin/sharpeyes.js loads
// the CLI), whatever started the parent (tsx, vitest, plain node with --import tsx).
import { register } from 'tsx/esm/api';

register();
await import('./report-worker-main.ts');
