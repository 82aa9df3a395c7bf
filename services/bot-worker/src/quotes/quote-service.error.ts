/** Stooq could not give an answer right now (timeout, 5xx, HTML, broken CSV): worth a retry. */
export class QuoteServiceError extends Error {
  /** How long Stooq asked us to wait (`Retry-After`), if it did. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number | undefined }) {
    super(message, options);
    this.name = 'QuoteServiceError';
    this.retryAfterMs = options?.retryAfterMs;
  }
}
