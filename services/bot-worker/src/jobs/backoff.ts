import type { BackoffStrategy } from 'bullmq';
import { RETRY_AFTER_CAP_MS, retryAfterOf } from './retry-after.js';

/**
 * The workers' `settings.backoffStrategy` for the queues' `backoff: {type: 'custom'}`:
 * `baseMs`, then twice that, and so on, with up to 10 % jitter so that retries of
 * many jobs failed by one outage do not all land at the same instant. When the
 * provider said how long to wait (429/503 with `Retry-After`), the wait is at least
 * that, capped at 30 s so that a bad header cannot park a job for hours.
 */
export function exponentialBackoff(baseMs: number, random: () => number = Math.random, now: () => number = Date.now): BackoffStrategy {
  return (attemptsMade, _type, err) => {
    const delay = Math.round(baseMs * 2 ** Math.max(0, attemptsMade - 1) * (1 + 0.1 * random()));
    const asked = retryAfterOf(err, now());
    return asked === undefined ? delay : Math.max(delay, Math.min(asked, RETRY_AFTER_CAP_MS));
  };
}
