import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Each thread of a process and its nice value, from /proc (Linux): field 19 of `stat`. */
export function threadNice(pid: number | 'self' = 'self'): Map<number, number> {
  return new Map(
    readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // After "(comm) " the fields start at the state (field 3); nice is field 19.
      return [Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])] as const;
    }),
  );
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
