import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';

/**
 * How much nicer than the alarm thread the process's other threads run (issue 13): V8's helpers
 * (concurrent marking and sweeping, compilation), libuv's pool (the panel sessions' LevelDB), and our
 * own worker threads (the segment writer; the report worker lowers itself to 19).
 */
export const HELPER_NICE = 10;

export interface HelperThreads {
  /** Threads set nicer by this pass. */
  lowered: number;
  /** Threads the system would not lower (the first error, for one log line). */
  failed: number;
  error?: string;
}

/**
 * Linux schedules each thread of a process on its own, and a woken thread waits for a core when
 * both are taken by equals. On a two-core machine under a burst of panics the alarm thread (the main
 * thread: the broker's sockets, the decision, the PUBACK) waited for a core about 0.13 ms each time
 * it woke, and its own helpers were among the equals it waited behind. Running every other thread
 * of the process `nice` steps lower lets the alarm thread take a core from them at once; their work
 * still gets done, on what the alarm thread leaves.
 *
 * Only the process's main thread calls this (a service started inside a test's worker thread is not
 * the alarm thread of its process). Threads created later (libuv starts its pool on first use; a
 * new worker thread) inherit their creator's priority, so the caller runs it again now and then.
 * Lowering a thread's priority needs no privilege; where `/proc/self/task` does not exist (not Linux)
 * it does nothing.
 */
export function lowerHelperThreads(nice = HELPER_NICE): HelperThreads {
  const out: HelperThreads = { lowered: 0, failed: 0 };
  if (!isMainThread || nice <= 0) return out;
  let tids: number[];
  try {
    tids = readdirSync('/proc/self/task').map(Number);
  } catch {
    return out;
  }
  const target = Math.min(19, getPriority() + nice);
  for (const tid of tids) {
    if (tid === process.pid || !Number.isInteger(tid)) continue;
    try {
      if (getPriority(tid) >= target) continue;
      setPriority(tid, target);
      out.lowered++;
    } catch (err) {
      // A thread that ended meanwhile is not a failure (os' SystemError carries the errno in `info`).
      if ((err as { info?: { code?: string } }).info?.code === 'ESRCH') continue;
      out.failed++;
      out.error ??= err instanceof Error ? err.message : String(err);
    }
  }
  return out;
}
