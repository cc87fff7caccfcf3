import { describe, expect, it } from 'vitest';
import { Gate, GateFullError } from '../../src/util/gate.js';

describe('Gate', () => {
  it('runs at most `concurrency` at once, queues up to `maxQueued`, refuses the rest at once', async () => {
    const gate = new Gate('test', 2, 3);
    let running = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const task = () =>
      gate.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => release.push(r));
        running--;
        return 'done';
      });
    const accepted = Array.from({ length: 5 }, task);
    await expect(task()).rejects.toBeInstanceOf(GateFullError);
    expect(gate.load).toEqual({ running: 2, waiting: 3 });
    while (release.length > 0 || gate.load.running > 0) {
      release.shift()?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await Promise.all(accepted)).toEqual(Array(5).fill('done'));
    expect(most).toBe(2);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('a failing task frees its slot', async () => {
    const gate = new Gate('test', 1, 0);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(async () => 1)).resolves.toBe(1);
  });
});
