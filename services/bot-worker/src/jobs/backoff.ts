import type { BackoffStrategy } from 'bullmq';

/**
 * The workers' `settings.backoffStrategy` for the queues' `backoff: {type: 'custom'}`:
 * `baseMs`, then twice that, and so on, with up to 10 % jitter so that retries of
 * many jobs failed by one outage do not all land at the same instant.
 */
export function exponentialBackoff(baseMs: number, random: () => number = Math.random): BackoffStrategy {
  return (attemptsMade) => {
    const delay = baseMs * 2 ** Math.max(0, attemptsMade - 1);
    return Math.round(delay * (1 + 0.1 * random()));
  };
}
