import { formatPrice } from './price.js';

/** The stock bot's texts, word for word from the contract. `close` is Stooq's decimal text. */
export const quoteText = (code: string, close: string): string => `${code.toUpperCase()} quote is $${formatPrice(close)} per share`;
export const noQuoteText = (code: string): string => `Sorry, no quote for ${code.toUpperCase()}.`;
export const STOCK_UNAVAILABLE_TEXT = 'Sorry, the stock service is unavailable; try again later.';
