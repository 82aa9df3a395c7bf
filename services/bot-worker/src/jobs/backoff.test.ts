import { describe, expect, it } from 'vitest';
import { exponentialBackoff } from './backoff.js';
import { isFinalAttempt } from './job-data.js';

describe('retry policy', () => {
  it('doubles the delay after each failed attempt, with at most 10 % jitter', () => {
    const noJitter = exponentialBackoff(1000, () => 0);
    expect([1, 2, 3].map((n) => noJitter(n))).toEqual([1000, 2000, 4000]);
    const fullJitter = exponentialBackoff(1000, () => 0.999);
    expect(fullJitter(2)).toBeLessThanOrEqual(2200);
  });

  it('knows the attempt after which no retry is left', () => {
    const opts = { attempts: 3 };
    expect([0, 1, 2].map((attemptsMade) => isFinalAttempt({ attemptsMade, opts }))).toEqual([false, false, true]);
    expect(isFinalAttempt({ attemptsMade: 0, opts: {} })).toBe(true);
  });
});
