import { describe, expect, it } from 'vitest';
import { QuoteServiceError } from './quote-service.error.js';
import { noQuoteText, quoteText } from './quote.replies.js';
import { parseQuoteCsv, quoteUrl } from './stooq.client.js';

const HEADER = 'Symbol,Date,Time,Open,High,Low,Close,Volume';

describe('Stooq CSV', () => {
  it('reads the close of a quote row', () => {
    expect(parseQuoteCsv(`${HEADER}\r\nAAPL.US,2026-11-20,22:00:09,93.1,94,92.5,93.415,1000\r\n`, 'text/csv')).toEqual({ kind: 'quote', close: '93.415' });
  });

  it('treats an N/D row as an unknown symbol', () => {
    expect(parseQuoteCsv(`${HEADER}\nXX.US,N/D,N/D,N/D,N/D,N/D,N/D,N/D\n`)).toEqual({ kind: 'no-data' });
  });

  it.each([
    ['an HTML page', '<!DOCTYPE html><html><body>busy</body></html>', 'text/html'],
    ['HTML sent as CSV', '<html><body>busy</body></html>', 'text/csv'],
    ['a cut-off row', `${HEADER}\nAAPL.US,2026-11-20,22:00:09,"93`, 'text/csv'],
    ['a short row', `${HEADER}\nAAPL.US,2026-11-20`, 'text/csv'],
    ['other columns', 'Symbol,Close\nAAPL.US,93', 'text/csv'],
    ['a header only', `${HEADER}\n`, 'text/csv'],
    ['a notice instead of CSV', 'Exceeded the daily hits limit', 'text/plain'],
    ['a close that is not a number', `${HEADER}\nAAPL.US,2026-11-20,22:00:09,1,1,1,abc,1`, 'text/csv'],
    ['an empty close', `${HEADER}\nAAPL.US,2026-11-20,22:00:09,1,1,1,,1`, 'text/csv'],
    ['a close in exponent notation', `${HEADER}\nAAPL.US,2026-11-20,22:00:09,1,1,1,1e3,1`, 'text/csv'],
  ])('rejects %s as a service failure', (_name, body, type) => {
    expect(() => parseQuoteCsv(body, type)).toThrow(QuoteServiceError);
  });
});

describe('quote texts', () => {
  it('formats the contract’s sentences with the code upper-cased and two decimals', () => {
    expect(quoteText('aapl.us', '93.415')).toBe('AAPL.US quote is $93.42 per share');
    expect(quoteText('^SPX', '5000')).toBe('^SPX quote is $5000.00 per share');
    expect(quoteText('x.us', '183.045')).toBe('X.US quote is $183.05 per share');
    expect(noQuoteText('nope.us')).toBe('Sorry, no quote for NOPE.US.');
  });

  it('asks for the code lower-cased in the contract’s URL', () => {
    expect(quoteUrl('https://stooq.com', 'AAPL.US')).toBe('https://stooq.com/q/l/?s=aapl.us&f=sd2t2ohlcv&h&e=csv');
    expect(quoteUrl('http://x', '^SPX')).toBe('http://x/q/l/?s=%5Espx&f=sd2t2ohlcv&h&e=csv');
  });
});
