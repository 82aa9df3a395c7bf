/** A decimal as Stooq writes it: optional sign, digits, optional fraction (no exponent). */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** True when `text` is a decimal `formatPrice` can round. */
export function isDecimal(text: string): boolean {
  const match = DECIMAL.exec(text);
  return match !== null && `${match[2] ?? ''}${match[3] ?? ''}` !== '';
}

/**
 * Stooq's close rounded half-up to two decimals, on its decimal digits rather than
 * through a binary float (where 1.005 is 1.00499… and `toFixed(2)` gives "1.00").
 * A negative price (futures can go below zero) rounds its magnitude, half away from zero.
 */
export function formatPrice(text: string): string {
  const match = DECIMAL.exec(text);
  if (!match || !isDecimal(text)) throw new RangeError(`not a decimal: ${JSON.stringify(text)}`);
  const [, sign = '', whole = '', fraction = ''] = match;
  const digits = fraction.padEnd(3, '0');
  let cents = BigInt(`${whole || '0'}${digits.slice(0, 2)}`);
  if (digits.charCodeAt(2) >= '5'.charCodeAt(0)) cents += 1n;
  const padded = cents.toString().padStart(3, '0');
  const value = `${padded.slice(0, -2)}.${padded.slice(-2)}`;
  return sign === '-' && cents !== 0n ? `-${value}` : value;
}
