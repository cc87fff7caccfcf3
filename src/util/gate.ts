import { SharpeyesError } from '../errors.js';

/** Thrown by `Gate.run` when both the running slots and the wait queue are full. */
export class GateFullError extends SharpeyesError {
  constructor(name: string, data: Record<string, unknown>) {
    super(name, 'too many waiting; try again shortly', data);
    this.name = 'GateFullError';
  }
}

/**
 * At most `concurrency` tasks at once and at most `maxQueued` waiting; past that a task is refused
 * at once. For work whose cost an outsider chooses how often to pay (a password hash is 128 MiB
 * and up to a second or more of a core, bench/auth-cost.ts), so a flood waits in a short line or is told to come back, instead of
 * taking every core and all the memory.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly name: string,
    private readonly concurrency: number,
    private readonly maxQueued: number,
  ) {}

  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueued)
        throw new GateFullError(this.name, { running: this.running, waiting: this.waiting.length });
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter; `running` only drops when nobody waits.
      if (next) next();
      else this.running--;
    }
  }
}
