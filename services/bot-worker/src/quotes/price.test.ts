import { describe, expect, it } from 'vitest';
import { formatPrice, isDecimal } from './price.js';

describe('formatPrice', () => {
  it.each([
    ['183.045', '183.05'],
    ['1.005', '1.01'],
    ['93.415', '93.42'],
    ['93.4187', '93.42'],
    ['93.4149', '93.41'],
    ['93.4', '93.40'],
    ['100', '100.00'],
    ['0.005', '0.01'],
    ['0.004999', '0.00'],
    ['0.5', '0.50'],
    ['.5', '0.50'],
    ['7.', '7.00'],
    ['9.995', '10.00'],
    ['99999999999999999999.995', '100000000000000000000.00'],
    ['00042.10', '42.10'],
    ['+1.234', '1.23'],
    ['-37.635', '-37.64'],
    ['-0.001', '0.00'],
  ])('rounds %s half-up to %s', (close, expected) => {
    expect(formatPrice(close)).toBe(expected);
  });

  it.each(['', '.', '-', 'abc', '1e3', '1,5', '1.2.3', ' 1', 'N/D', 'Infinity', 'NaN'])('refuses %j', (text) => {
    expect(isDecimal(text)).toBe(false);
    expect(() => formatPrice(text)).toThrow(RangeError);
  });
});
