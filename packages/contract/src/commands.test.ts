import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import { SUMMARY_DEFAULT_COUNT, SUMMARY_MAX_COUNT, parseCommand } from './commands.js';

/** The validation error parseCommand throws for `content`. */
function refusal(content: string): AppError {
  try {
    parseCommand(content);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error(`${content} was accepted`);
}

describe('parseCommand', () => {
  it.each(['hello', 'a /stock=AAPL.US in the middle', '/ not a command', '/123', '//stock=AAPL.US', '/', '/ä'])('leaves %j as an ordinary message', (content) => {
    expect(parseCommand(content)).toBeNull();
  });

  describe('/stock=CODE', () => {
    it.each([
      ['/stock=aapl.us', 'AAPL.US'],
      ['/STOCK=aapl.us', 'AAPL.US'],
      ['/Stock=MSFT', 'MSFT'],
      ['/stock=^spx', '^SPX'],
      ['/stock=brk-b.us', 'BRK-B.US'],
      ['/stock=A', 'A'],
      [`/stock=${'a'.repeat(20)}`, 'A'.repeat(20)],
      ['/stock=..--^^', '..--^^'],
    ])('reads %s as the code %s, upper-cased', (content, code) => {
      expect(parseCommand(content)).toEqual({ name: 'stock', code });
    });

    it.each([
      ['a 21-character code', `/stock=${'a'.repeat(21)}`],
      ['an empty code', '/stock='],
      ['a code with a space', '/stock=aapl us'],
      ['a code with an underscore', '/stock=aapl_us'],
      ['a code with a slash', '/stock=aapl/us'],
      ['a non-ASCII letter', '/stock=äapl'],
      ['no "="', '/stock AAPL.US'],
      ['no code at all', '/stock'],
    ])('refuses %s', (_name, content) => {
      const err = refusal(content);
      expect(err.code).toBe('validation');
      expect(err.message).toMatch(/stock/);
    });
  });

  describe('/summary [N]', () => {
    it.each([
      ['/summary', SUMMARY_DEFAULT_COUNT],
      ['/summary 1', 1],
      ['/summary 42', 42],
      [`/summary ${SUMMARY_MAX_COUNT}`, SUMMARY_MAX_COUNT],
      ['/SUMMARY 7', 7],
      ['/summary\t9', 9],
    ])('reads %j as a summary of %i messages', (content, count) => {
      expect(parseCommand(content)).toEqual({ name: 'summary', count });
    });

    it.each(['/summary 0', `/summary ${SUMMARY_MAX_COUNT + 1}`, '/summary 1e2', '/summary abc', '/summary -5', '/summary +5', '/summary 2.5', '/summary 5 6', '/summary 0x10'])(
      'refuses %j naming the range',
      (content) => {
        const err = refusal(content);
        expect(err.code).toBe('validation');
        expect(err.message).toContain(`1 to ${SUMMARY_MAX_COUNT}`);
      },
    );

    it('treats /summaryx as an unknown command', () => {
      expect(refusal('/summaryx').message).toMatch(/unknown command \/summaryx.*\/help/);
    });
  });

  describe('/ai PROMPT', () => {
    it.each([
      ['/ai what is up?', 'what is up?'],
      ['/AI Hello', 'Hello'],
      ['/ai   spaced   out', 'spaced   out'],
      ['/ai\nnext line', 'next line'],
    ])('reads %j with the prompt %j', (content, prompt) => {
      expect(parseCommand(content)).toEqual({ name: 'ai', prompt });
    });

    it.each(['/ai', '/ai    '])('refuses %j without a prompt', (content) => {
      const err = refusal(content);
      expect(err.code).toBe('validation');
      expect(err.message).toBe('usage: /ai PROMPT');
    });

    it('treats /aix as an unknown command naming /help', () => {
      const err = refusal('/aix tell me');
      expect(err.code).toBe('validation');
      expect(err.message).toMatch(/unknown command \/aix.*\/help/);
    });
  });

  describe('/help', () => {
    it.each(['/help', '/HELP', '/help   '])('reads %j', (content) => {
      expect(parseCommand(content)).toEqual({ name: 'help' });
    });

    it('refuses /help with arguments', () => {
      expect(refusal('/help extra')).toMatchObject({ code: 'validation', message: '/help takes no arguments' });
    });
  });

  it.each(['/weather paris', '/stocks=AAPL', '/h', '/ai-x hi'])('refuses the unknown command %j, naming /help', (content) => {
    const err = refusal(content);
    expect(err.code).toBe('validation');
    expect(err.message).toContain('/help');
  });
});
