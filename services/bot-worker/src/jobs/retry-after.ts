/** The longest wait a provider's Retry-After may impose on a retry. */
export const RETRY_AFTER_CAP_MS = 30_000;

interface HeaderSource {
  get(name: string): string | null;
}

/**
 * The wait a response asks for, in ms from `now`: OpenAI's `retry-after-ms`, else
 * `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3). Undefined when
 * absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  // An HTTP date has a weekday and month name; a signed or malformed number is not one (Date.parse would take "-5").
  if (!/[A-Za-z]/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The wait a failed attempt's provider asked for: `retryAfterMs` on our own errors
 * (QuoteServiceError), or the `Retry-After` headers an SDK error carries (the `openai` package's APIError).
 */
export function retryAfterOf(err: unknown, now: number = Date.now()): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const own = (err as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof own === 'number' && Number.isFinite(own) && own >= 0) return own;
  const headers = (err as { headers?: unknown }).headers;
  if (typeof headers === 'object' && headers !== null && typeof (headers as HeaderSource).get === 'function') {
    return parseRetryAfter(headers as HeaderSource, now);
  }
  return undefined;
}
