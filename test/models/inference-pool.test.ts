import { spawnSync } from 'node:child_process';
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

describe('inference pool, closed while onnxruntime works', () => {
  // Closing terminated the workers in the middle of onnxruntime's work, which aborted the whole
  // process ("terminate called after throwing an instance of 'Napi::Error'", SIGABRT): a service
  // stopped during a verification, or seconds after a start while the detector loaded, lost the rest
  // of its shutdown and exited 134.
  it('lets the session being created and the runs in flight finish, fails only the queued job, and the process exits 0', () => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'pool-close-child.ts')],
      {
        cwd: join(import.meta.dirname, '..', '..'),
        encoding: 'utf8',
      },
    );
    expect(child.stderr).not.toContain('terminate called');
    expect({ status: child.status, signal: child.signal }).toEqual({ status: 0, signal: null });
    expect(JSON.parse(child.stdout)).toEqual({
      load: 'done',
      runs: ['done', 'done', 'failed: models: running is closed'],
    });
  });
});
