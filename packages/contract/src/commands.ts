import { z } from 'zod';
import { AppError } from './errors.js';

export const STOCK_CODE_PATTERN = /^[A-Za-z0-9.^-]{1,20}$/;
export const SUMMARY_DEFAULT_COUNT = 50;
export const SUMMARY_MAX_COUNT = 200;

export type ParsedCommand =
  | { name: 'help' }
  | { name: 'stock'; code: string }
  | { name: 'ai'; prompt: string }
  | { name: 'summary'; count: number };

export const HELP_TEXT = [
  'Commands:',
  '/stock=CODE  a stock quote, e.g. /stock=AAPL.US',
  '/ai PROMPT  ask the AI, with the room’s recent messages as context',
  '/summary [N]  summarise the last N messages (default 50, at most 200)',
  '/help  this list',
].join('\n');

const commandWord = /^\/([A-Za-z][A-Za-z0-9_-]*)/;

/**
 * Recognises a command in (trimmed) message content. Returns null for an
 * ordinary message, the parsed command, or throws a `validation` AppError.
 */
export function parseCommand(content: string): ParsedCommand | null {
  const match = commandWord.exec(content);
  if (!match) return null;
  const word = (match[1] ?? '').toLowerCase();
  const rest = content.slice(match[0].length);

  switch (word) {
    case 'help':
      if (rest.trim() !== '') throw AppError.validation('/help takes no arguments');
      return { name: 'help' };
    case 'stock': {
      if (!rest.startsWith('=')) throw AppError.validation('usage: /stock=CODE, e.g. /stock=AAPL.US');
      const code = rest.slice(1);
      if (!STOCK_CODE_PATTERN.test(code)) {
        throw AppError.validation('stock code must be 1–20 letters, digits, ".", "-" or "^"');
      }
      return { name: 'stock', code: code.toUpperCase() };
    }
    case 'ai': {
      if (rest !== '' && !/^\s/.test(rest)) break;
      const prompt = rest.trim();
      if (!prompt) throw AppError.validation('usage: /ai PROMPT');
      return { name: 'ai', prompt };
    }
    case 'summary': {
      if (rest !== '' && !/^\s/.test(rest)) break;
      const arg = rest.trim();
      if (arg === '') return { name: 'summary', count: SUMMARY_DEFAULT_COUNT };
      const count = z.coerce.number().int().min(1).max(SUMMARY_MAX_COUNT).safeParse(arg);
      if (!/^\d+$/.test(arg) || !count.success) {
        throw AppError.validation(`usage: /summary [N] with N from 1 to ${SUMMARY_MAX_COUNT}`);
      }
      return { name: 'summary', count: count.data };
    }
  }
  throw AppError.validation(`unknown command /${match[1] ?? ''}; send /help for the list`);
}
