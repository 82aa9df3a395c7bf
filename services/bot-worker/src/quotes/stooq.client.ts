import { parse } from 'csv-parse/sync';
import { parseRetryAfter } from '../jobs/retry-after.js';
import { isDecimal } from './price.js';
import { QuoteServiceError } from './quote-service.error.js';

/** `close` is Stooq's text as sent (e.g. `93.415`), so that rounding works on its decimal digits. */
export type Quote = { kind: 'quote'; close: string } | { kind: 'no-data' };

export interface StooqClientOptions {
  /** Stooq's origin, without a trailing slash, e.g. `https://stooq.com`. */
  baseUrl: string;
  /** The whole request, body included, must finish within this many ms. */
  timeoutMs: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface StooqClient {
  /** The latest close of `code`; throws QuoteServiceError when Stooq can't answer (retry later). */
  fetchQuote(code: string): Promise<Quote>;
}

const COLUMNS = ['Symbol', 'Date', 'Time', 'Open', 'High', 'Low', 'Close', 'Volume'] as const;
type Row = Record<(typeof COLUMNS)[number], string>;

/** The quote URL of the contract: `{STOOQ_URL}/q/l/?s={code}&f=sd2t2ohlcv&h&e=csv`. */
export function quoteUrl(baseUrl: string, code: string): string {
  return `${baseUrl}/q/l/?s=${encodeURIComponent(code.toLowerCase())}&f=sd2t2ohlcv&h&e=csv`;
}

export function createStooqClient(options: StooqClientOptions): StooqClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  return {
    async fetchQuote(code) {
      let body: string;
      let contentType: string;
      try {
        const res = await doFetch(quoteUrl(options.baseUrl, code), {
          signal: AbortSignal.timeout(options.timeoutMs),
          headers: { accept: 'text/csv' },
        });
        contentType = res.headers.get('content-type') ?? '';
        body = await res.text();
        if (!res.ok) throw new QuoteServiceError(`stooq answered HTTP ${res.status}`, { retryAfterMs: parseRetryAfter(res.headers) });
      } catch (err) {
        if (err instanceof QuoteServiceError) throw err;
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
        throw new QuoteServiceError(timedOut ? `stooq did not answer within ${options.timeoutMs} ms` : 'stooq unreachable', {
          cause: err,
        });
      }
      return parseQuoteCsv(body, contentType);
    },
  };
}

/**
 * Reads Stooq's one-symbol CSV. A row whose values are `N/D` means the symbol is
 * unknown; anything that is not the expected CSV (an HTML error page, a rate-limit
 * notice, a cut-off body) is a service failure.
 */
export function parseQuoteCsv(body: string, contentType = ''): Quote {
  const text = body.trim();
  if (/html/i.test(contentType) || text.startsWith('<')) throw new QuoteServiceError('stooq answered HTML, not CSV');
  let rows: Row[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Row[];
  } catch (err) {
    throw new QuoteServiceError('stooq answered broken CSV', { cause: err });
  }
  const header = text.split(/\r?\n/, 1)[0]?.split(',').map((c) => c.trim()) ?? [];
  if (header.length !== COLUMNS.length || COLUMNS.some((c, i) => header[i] !== c)) {
    throw new QuoteServiceError('stooq CSV has unexpected columns');
  }
  const row = rows[0];
  if (!row) throw new QuoteServiceError('stooq CSV has no rows');
  if (row.Close === 'N/D') return { kind: 'no-data' };
  if (!isDecimal(row.Close)) throw new QuoteServiceError('stooq CSV has no usable close');
  return { kind: 'quote', close: row.Close };
}
