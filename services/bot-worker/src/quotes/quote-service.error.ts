/** Stooq could not give an answer right now (timeout, 5xx, HTML, broken CSV): worth a retry. */
export class QuoteServiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QuoteServiceError';
  }
}
