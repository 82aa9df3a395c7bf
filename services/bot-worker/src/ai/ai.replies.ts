/** The AI bot's fixed texts. */
export const AI_NOT_CONFIGURED_TEXT = 'Sorry, the AI is not configured on this server.';
export const AI_UNAVAILABLE_TEXT = 'Sorry, the AI is unavailable right now; try again later.';
export const AI_EMPTY_ANSWER_TEXT = 'Sorry, the AI gave no answer.';
export const NOTHING_TO_SUMMARISE_TEXT = 'There is nothing to summarise yet.';

/** Longest answer stored; a longer one is cut and marked. */
export const AI_REPLY_MAX_CHARS = 4000;

/** The model's text as it is stored: plain text, trimmed, bounded. Never interpreted as markup. */
export function normaliseAnswer(text: string): string {
  // PostgreSQL text cannot hold NUL; a model may emit one, and the answer must still be stored.
  const trimmed = text.replaceAll('\u0000', '').trim();
  if (trimmed === '') return AI_EMPTY_ANSWER_TEXT;
  if (trimmed.length <= AI_REPLY_MAX_CHARS) return trimmed;
  let cut = AI_REPLY_MAX_CHARS - 1;
  // Never split a surrogate pair: half an emoji is not valid text.
  if (/[\uD800-\uDBFF]/.test(trimmed.charAt(cut - 1))) cut -= 1;
  return `${trimmed.slice(0, cut)}…`;
}
