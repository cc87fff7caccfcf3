export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 60_000 };

/**
 * Capped exponential backoff with "equal jitter": half the step is fixed, half random, so a city's
 * cameras that dropped together (a switch reboot) do not all reconnect in the same second, yet no
 * camera waits less than half its step. `attempt` counts failures from 1.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2 ** 30 is far past any cap; keeps the arithmetic finite for long outages.
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(n - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Whether the `attempt`th failure in a row is logged: the first, then at 2, 4, 8… (a city's dark
 * cameras would otherwise write a line each per retry, all night).
 */
export const seldom = (attempt: number) => attempt >= 1 && (attempt & (attempt - 1)) === 0;
