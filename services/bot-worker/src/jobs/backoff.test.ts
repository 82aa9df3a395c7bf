import { describe, expect, it } from 'vitest';
import { QuoteServiceError } from '../quotes/quote-service.error.js';
import { exponentialBackoff } from './backoff.js';
import { isFinalAttempt } from './job-data.js';
import { parseRetryAfter, retryAfterOf } from './retry-after.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const headers = (values: Record<string, string>) => new Headers(values);
/** Shaped like the `openai` package's APIError: a status and the response's Headers. */
const apiError = (values: Record<string, string>) => Object.assign(new Error('429 Rate limit reached'), { status: 429, headers: headers(values) });

describe('retry policy', () => {
  it('doubles the delay after each failed attempt, with at most 10 % jitter', () => {
    const noJitter = exponentialBackoff(1000, () => 0);
    expect([1, 2, 3].map((n) => noJitter(n))).toEqual([1000, 2000, 4000]);
    const fullJitter = exponentialBackoff(1000, () => 0.999);
    expect(fullJitter(2)).toBeLessThanOrEqual(2200);
  });

  it('waits as long as the provider’s Retry-After asks when that is longer, up to 30 s', () => {
    const backoff = exponentialBackoff(1000, () => 0, () => NOW);
    expect(backoff(1, 'custom', apiError({ 'retry-after': '7' }))).toBe(7000);
    expect(backoff(1, 'custom', apiError({ 'retry-after': 'Sat, 21 Nov 2026 12:00:12 GMT' }))).toBe(12_000);
    expect(backoff(1, 'custom', apiError({ 'retry-after-ms': '2500', 'retry-after': '9' }))).toBe(2500);
    expect(backoff(1, 'custom', new QuoteServiceError('stooq answered HTTP 429', { retryAfterMs: 5000 }))).toBe(5000);
    expect(backoff(1, 'custom', apiError({ 'retry-after': '3600' }))).toBe(30_000);
    // Shorter than the exponential delay, absent or unreadable: the exponential delay.
    expect(backoff(2, 'custom', apiError({ 'retry-after': '1' }))).toBe(2000);
    expect(backoff(2, 'custom', apiError({}))).toBe(2000);
    expect(backoff(2, 'custom', apiError({ 'retry-after': 'soon' }))).toBe(2000);
    expect(backoff(2, 'custom', new Error('ECONNRESET'))).toBe(2000);
    expect(backoff(2)).toBe(2000);
  });

  it('knows the attempt after which no retry is left', () => {
    const opts = { attempts: 3 };
    expect([0, 1, 2].map((attemptsMade) => isFinalAttempt({ attemptsMade, opts }))).toEqual([false, false, true]);
    expect(isFinalAttempt({ attemptsMade: 0, opts: {} })).toBe(true);
  });
});

describe('Retry-After', () => {
  it.each([
    ['delay-seconds', { 'retry-after': '120' }, 120_000],
    ['fractional seconds', { 'retry-after': '1.5' }, 1500],
    ['an IMF-fixdate', { 'retry-after': 'Sat, 21 Nov 2026 12:01:00 GMT' }, 60_000],
    ['an RFC 850 date', { 'retry-after': 'Saturday, 21-Nov-26 12:00:30 GMT' }, 30_000],
    ['a date in the past', { 'retry-after': 'Fri, 20 Nov 2026 12:00:00 GMT' }, 0],
    ['OpenAI’s retry-after-ms', { 'retry-after-ms': '350' }, 350],
  ])('reads %s', (_name, values, expected) => {
    expect(parseRetryAfter(headers(values), NOW)).toBe(expected);
  });

  it.each([
    ['no header', {}],
    ['an empty value', { 'retry-after': ' ' }],
    ['a negative number', { 'retry-after': '-5' }],
    ['words', { 'retry-after': 'later please' }],
    ['a bad retry-after-ms and no retry-after', { 'retry-after-ms': 'x' }],
  ])('ignores %s', (_name, values) => {
    expect(parseRetryAfter(headers(values), NOW)).toBeUndefined();
  });

  it('finds the wait on our errors and on SDK errors only', () => {
    expect(retryAfterOf(new QuoteServiceError('busy', { retryAfterMs: 40 }))).toBe(40);
    expect(retryAfterOf(new QuoteServiceError('busy'))).toBeUndefined();
    expect(retryAfterOf(apiError({ 'retry-after': '2' }), NOW)).toBe(2000);
    expect(retryAfterOf(Object.assign(new Error('odd'), { headers: { 'retry-after': '2' } }))).toBeUndefined();
    expect(retryAfterOf('a string')).toBeUndefined();
    expect(retryAfterOf(undefined)).toBeUndefined();
  });
});
