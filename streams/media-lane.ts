import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

/**
 * Where camera bytes wait their turn on the alarm thread. Every recorded camera's ffmpeg writes to a
 * pipe that the event loop reads in its poll phase, beside the panels' sockets; handled where they
 * are read, 32 cameras' fragments that land together (their GOPs and fragment clocks run in step)
 * are split, handed to the hub, placed and queued for the writer thread one after another, and a
 * panic read in the same poll phase waits behind all of them for its commit and its PUBACK.
 *
 * The lane takes that work out of the poll phase: a pipe's read only queues its chunk, and the lane
 * runs the queue in the check phase, after every socket read of that turn (a panic's commit runs in
 * the turn it was read: see Batcher's urgent items). It runs for at most `budgetMs` a turn, then
 * lets the loop poll again, so an alarm that arrives while it runs waits for one slice, not for the
 * whole backlog. Work runs in the order it was queued (one camera's chunks stay in order).
 */
export class MediaLane {
  private queue: Array<{ work: () => void; at: number } | undefined> = [];
  private head = 0;
  private scheduled = false;
  /**
   * How long each piece of work waited between its read and its turn, in nanoseconds (at least 1).
   * Idle, it is one turn of the loop; a lane that falls behind (a starved CPU) shows here first.
   */
  readonly waits: RecordableHistogram = createHistogram();

  constructor(
    /** How long one turn may run queued work before the loop polls again. */
    private readonly budgetMs = 1,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Queued work not run yet. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Runs `work` in a later check phase, after everything queued before it. It must not throw. */
  run(work: () => void): void {
    this.queue.push({ work, at: this.now() });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    let now = this.now();
    const until = now + this.budgetMs;
    try {
      while (this.head < this.queue.length) {
        const item = this.queue[this.head];
        this.queue[this.head++] = undefined;
        if (!item) continue;
        this.waits.record(Math.max(1, Math.round((now - item.at) * 1e6)));
        item.work();
        now = this.now();
        if (now >= until) break;
      }
    } finally {
      // Even when work threw (a bug: it surfaces as before), the rest of the queue still runs.
      if (this.head >= this.queue.length) {
        this.queue = [];
        this.head = 0;
        this.scheduled = false;
      } else {
        if (this.head > 1024) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        setImmediate(this.drain);
      }
    }
  };
}

/** The process's one lane: camera intake from every upstream shares it, so each gets its turn in order. */
export const mediaLane = new MediaLane();
