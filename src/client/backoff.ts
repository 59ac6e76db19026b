export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 8_000 };

/**
 * Delay before retry number `attempt` (0-based): doubling from the initial delay up to the cap,
 * with ±20 % jitter so clients dropped by the same failure do not all come back in lockstep.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
  const jittered = exponential * (0.8 + 0.4 * random());
  return Math.round(Math.min(options.maxDelayMs, Math.max(options.initialDelayMs, jittered)));
}
