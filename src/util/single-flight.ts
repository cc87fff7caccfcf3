/**
 * One run of `work` at a time: a call while a run is in flight shares that run instead of starting
 * another (a timer's tick that comes while the last pass is still going, a test awaiting the pass a
 * tick started). A failure goes to `failed`, whose answer the run resolves to, so a periodic job
 * logs its error and tries again on its next tick instead of rejecting into a timer. `work` is an
 * async function: it starts at once, in the caller's turn, so a synchronous throw would escape `run`.
 *
 * The maintainers (notices, ratings, the workflow's, the notifier) and the outbox purge each keep one;
 * their `stop()` awaits `settled()`, so nothing they started outlives them.
 */
export class SingleFlight<T> {
  private running: Promise<T> | undefined;

  constructor(
    private readonly work: () => Promise<T>,
    private readonly failed: (err: unknown) => T,
  ) {}

  /** The run in flight, or a new one. */
  run(): Promise<T> {
    this.running ??= this.work()
      .catch(this.failed)
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Resolves once no run is in flight (at once if none is). */
  async settled(): Promise<void> {
    await this.running;
  }
}
