import type { Logger } from '../log.js';

export interface RetryOptions {
  log: Logger;
  /** What is being committed, for the log. */
  what: Record<string, unknown>;
  /** Stops retrying (the service is stopping); the caller's own state then carries it to the next start. */
  stopped: () => boolean;
  initialMs?: number;
  maxMs?: number;
}

/**
 * Runs `commit` until it succeeds (issue 13: a system event — a panel gone silent, a camera gone
 * dark — whose commit fails is retried, never only logged). Backoff doubles from 500 ms to 30 s.
 * Safe because event keys make a repeated commit a redelivery the core ignores.
 */
export async function retryUntilCommitted<T>(
  commit: () => Promise<T>,
  opts: RetryOptions,
): Promise<T | undefined> {
  let delay = opts.initialMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await commit();
    } catch (err) {
      if (opts.stopped()) {
        opts.log.error(
          { err, ...opts.what },
          'core: system event not committed before stop; raised again at start',
        );
        return undefined;
      }
      opts.log.error(
        { err, attempt, retryInMs: delay, ...opts.what },
        'core: system event not committed; retrying',
      );
      // Slept in slices, so a stop does not wait out a long backoff.
      for (let slept = 0; slept < delay && !opts.stopped(); slept += 100)
        await new Promise((r) => setTimeout(r, Math.min(100, delay - slept)));
      delay = Math.min(opts.maxMs ?? 30_000, delay * 2);
    }
  }
}
