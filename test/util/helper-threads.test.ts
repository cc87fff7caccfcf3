import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELPER_NICE, lowerHelperThreads } from '../../src/util/helper-threads.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'helper-threads-child.ts');

interface Report {
  pid: number;
  base: number;
  workerTid: number;
  before: Record<string, number>;
  after: Record<string, number>;
  first: { lowered: number; failed: number };
  second: { lowered: number; failed: number };
}

/** The child runs as its own process (optionally under `nice`), so only its threads are touched. */
function run(nice: number, base = 0): Report {
  const node = [process.execPath, '--import', 'tsx', CHILD, String(nice)];
  const [cmd, ...args] = base > 0 ? ['nice', '-n', String(base), ...node] : node;
  return JSON.parse(
    execFileSync(cmd!, args, { cwd: join(import.meta.dirname, '..', '..') }).toString(),
  ) as Report;
}

describe('lowerHelperThreads', () => {
  it('runs every thread but the main one nicer than the main one, and a thread already lower stays', () => {
    const r = run(HELPER_NICE);
    const main = String(r.pid);
    const others = Object.keys(r.after).filter((tid) => tid !== main);
    // V8's helpers, libuv's pool (started by the pbkdf2) and the worker: a service has as many.
    expect(others.length).toBeGreaterThanOrEqual(6);
    expect(r.before[main]).toBe(0);
    expect(r.after[main]).toBe(0);
    for (const tid of others)
      expect(r.after[tid], `thread ${tid}`).toBe(tid === String(r.workerTid) ? 19 : 10);
    // Before, they ran with the main thread (the worker had lowered itself already).
    const wereEqual = others.filter((tid) => r.before[tid] === 0);
    expect(wereEqual.length).toBe(others.length - 1);
    expect(r.first).toEqual({ lowered: wereEqual.length, failed: 0 });
    // Nothing left to do the second time (the CLI runs it every 10 s for new threads).
    expect(r.second).toEqual({ lowered: 0, failed: 0 });
  });

  it('counts from the process priority and stops at 19', () => {
    const r = run(HELPER_NICE, 15);
    const main = String(r.pid);
    expect(r.base).toBe(15);
    expect(r.after[main]).toBe(15);
    for (const [tid, n] of Object.entries(r.after)) if (tid !== main) expect(n, `thread ${tid}`).toBe(19);
  });

  it('touches nothing when told nice 0', () => {
    const r = run(0);
    expect(r.first).toEqual({ lowered: 0, failed: 0 });
    expect(r.after).toEqual(r.before);
  });

  it('leaves the threads of a process alone when not called from its main thread', async () => {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(
      `const { parentPort } = require('node:worker_threads');
       require('tsx/cjs/api').register();
       const { lowerHelperThreads } = require(${JSON.stringify(join(import.meta.dirname, '..', '..', 'src', 'util', 'helper-threads.ts'))});
       parentPort.postMessage(lowerHelperThreads(10));`,
      { eval: true },
    );
    const got = await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
    expect(got).toEqual({ lowered: 0, failed: 0 });
    expect(lowerHelperThreads(0)).toEqual({ lowered: 0, failed: 0 });
  });
});
