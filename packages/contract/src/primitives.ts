import { z } from 'zod';
import { errorCodes } from './errors.js';

/**
 * PostgreSQL's text types cannot hold NUL (U+0000): every free-text field that is
 * stored or used in a query refuses it up front. Passwords may hold it: they are
 * only hashed, never stored or compared as text.
 */
const NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';
const withoutNul = (value: string): boolean => !value.includes('\u0000');

const LONE_SURROGATE_CANDIDATE = /[\uD800-\uDFFF]/;

/**
 * The text with every lone UTF-16 surrogate (half of a pair, which UTF-8 and so PostgreSQL cannot
 * hold) replaced by U+FFFD, as `String.prototype.toWellFormed` does (not in every runtime yet).
 */
export function toWellFormed(value: string): string {
  if (!LONE_SURROGATE_CANDIDATE.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += value[i]! + value[i + 1]!;
        i++;
      } else out += '\uFFFD';
    } else if (code >= 0xdc00 && code <= 0xdfff) out += '\uFFFD';
    else out += value[i]!;
  }
  return out;
}

/**
 * Free text as it will be stored, normalised once at the edge: a lone surrogate becomes U+FFFD
 * before anything is checked, stored or acknowledged, so the ack, the broadcast, history and a
 * retry all carry exactly what PostgreSQL keeps.
 */
const text = () => z.string({ message: 'must be a string' }).overwrite(toWellFormed);

/** UUIDs are case-insensitive; ids are compared (and Socket.IO rooms named) in PostgreSQL's lower-case form. */
export const uuidSchema = z.uuid({ message: 'must be a UUID' }).transform((id) => id.toLowerCase());
export const isoTimeSchema = z.iso.datetime({ message: 'must be an ISO-8601 time' });

export const usernameSchema = z
  .string({ message: 'must be a string' })
  .min(3, { message: 'must be at least 3 characters' })
  .max(50, { message: 'must be at most 50 characters' })
  .regex(/^[A-Za-z0-9_]+$/, { message: 'may contain only letters, digits and _' });

/** A login name as typed: any string within the limits (a bad name is a 401, not a hint), but no NUL. */
export const loginNameSchema = text()
  .min(1, { message: 'must not be empty' })
  .max(50, { message: 'must be at most 50 characters' })
  .refine(withoutNul, { message: NUL_MESSAGE });

export const passwordSchema = z
  .string({ message: 'must be a string' })
  .min(8, { message: 'must be at least 8 characters' })
  .max(128, { message: 'must be at most 128 characters' });

export const roomNameSchema = text()
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(64, { message: 'must be at most 64 characters' })
  .refine(withoutNul, { message: NUL_MESSAGE });

export const roomDescriptionSchema = text()
  .trim()
  .max(500, { message: 'must be at most 500 characters' })
  .refine(withoutNul, { message: NUL_MESSAGE });

/** A message's per-room sequence number: 1, 2, 3, … */
export const seqSchema = z.number({ message: 'must be a number' }).int({ message: 'must be an integer' }).min(0, { message: 'must be ≥ 0' });

export const MESSAGE_MAX_LENGTH = 1000;
export const CLIENT_ID_MAX_LENGTH = 64;

export const messageContentSchema = text()
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(MESSAGE_MAX_LENGTH, { message: `must be at most ${MESSAGE_MAX_LENGTH} characters` })
  .refine(withoutNul, { message: NUL_MESSAGE });

export const clientIdSchema = text()
  .min(1, { message: 'must not be empty' })
  .max(CLIENT_ID_MAX_LENGTH, { message: `must be at most ${CLIENT_ID_MAX_LENGTH} characters` })
  .refine(withoutNul, { message: NUL_MESSAGE });

export const errorCodeSchema = z.enum(errorCodes);
export const errorSchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  /** With `rate_limited`: how long to wait before retrying, in milliseconds. */
  retryAfterMs: z.number().int().positive().optional(),
});
export const errorBodySchema = z.object({ error: errorSchema });
export type ErrorResponse = z.infer<typeof errorBodySchema>;

/** Distinct emoji one message may carry. */
export const MAX_REACTIONS_PER_MESSAGE = 20;

/**
 * One emoji grapheme: a pictographic character (with its variation selector, skin tone, keycap or
 * tag sequence), a ZWJ sequence of them, or a flag (two regional indicators). A regular expression
 * rather than Intl.Segmenter, so every runtime (React Native's Hermes too) decides the same.
 */
const EMOJI_PART = String.raw`(?:[\p{Extended_Pictographic}#*0-9]\uFE0F?(?:\p{Emoji_Modifier}|\u20E3|[\u{E0020}-\u{E007E}]+\u{E007F})?)`;
const EMOJI = new RegExp(String.raw`^(?:\p{Regional_Indicator}{2}|${EMOJI_PART}(?:\u200D${EMOJI_PART})*)$`, 'u');
/** `#`, `*` and digits are pictographic only as keycaps. */
const BARE_KEYCAP_BASE = /^[#*0-9]\uFE0F?$/;

export const isEmoji = (value: string): boolean => EMOJI.test(value) && !BARE_KEYCAP_BASE.test(value);

export const emojiSchema = z
  .string({ message: 'must be a string' })
  .max(32, { message: 'must be one emoji' })
  .refine(isEmoji, { message: 'must be one emoji' });
