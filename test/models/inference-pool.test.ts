import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childThreadNice } from '../helpers/thread-nice.js';

describe("inference pool, opened by a process's main thread with `nice`", () => {
  // Issue 13: a detector's first alarm opens the pool; its workers and onnxruntime's threads inside
  // them ran at the alarm thread's priority until the service's next pass over its threads (up to
  // 10 s), through the first verification of a burst of alarms.
  it('runs its workers and their onnxruntime threads that far below it from their start', () => {
    const { pid, before, after } = childThreadNice(
      join(import.meta.dirname, 'fixtures', 'pool-nice-child.ts'),
    );
    expect(Object.values(before).every((n) => n === 0)).toBe(true);
    expect(after[String(pid)]).toBe(0);
    // The worker and onnxruntime's second intra-op thread, at least; every one the pool brought.
    const added = Object.keys(after).filter((tid) => !(tid in before));
    expect(added.length).toBeGreaterThanOrEqual(2);
    expect(added.map((tid) => after[tid])).toEqual(added.map(() => 10));
  });
});
