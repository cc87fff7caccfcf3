import { readdirSync, readFileSync } from 'node:fs';

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
