/** The stock bot's texts, word for word from the contract. */
export const quoteText = (code: string, close: number): string => `${code.toUpperCase()} quote is $${close.toFixed(2)} per share`;
export const noQuoteText = (code: string): string => `Sorry, no quote for ${code.toUpperCase()}.`;
export const STOCK_UNAVAILABLE_TEXT = 'Sorry, the stock service is unavailable; try again later.';
