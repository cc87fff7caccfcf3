import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Each thread of a process and its nice value, from /proc (Linux): field 19 of `stat`. A thread that
 * ended between the listing and its read is left out (the start test failed once in a clean-clone CI
 * on `ENOENT … /task/<tid>/stat`, as `lowerHelperThreads` already skips a thread gone meanwhile).
 */
export function threadNice(pid: number | 'self' = 'self'): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH')
        continue;
      throw err;
    }
    // After "(comm) " the fields start at the state (field 3); nice is field 19.
    out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return out;
}

/**
 * Runs `fixture` (a TypeScript file printing `{pid, before, after}`: every thread's nice value before
 * and after it started its threads) as a process of its own, whose main thread is then the process's,
 * as the service's alarm thread is.
 */
export function childThreadNice(fixture: string): {
  pid: number;
  before: Record<string, number>;
  after: Record<string, number>;
} {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fixture], {
    cwd: join(import.meta.dirname, '..', '..'),
  }).toString();
  return JSON.parse(out) as { pid: number; before: Record<string, number>; after: Record<string, number> };
}
