/** The AI bot's fixed texts. */
export const AI_NOT_CONFIGURED_TEXT = 'Sorry, the AI is not configured on this server.';
export const AI_UNAVAILABLE_TEXT = 'Sorry, the AI is unavailable right now; try again later.';
export const AI_EMPTY_ANSWER_TEXT = 'Sorry, the AI gave no answer.';
export const NOTHING_TO_SUMMARISE_TEXT = 'There is nothing to summarise yet.';

/** Longest answer stored; a longer one is cut and marked. */
export const AI_REPLY_MAX_CHARS = 4000;

/** The model's text as it is stored: plain text, trimmed, bounded. Never interpreted as markup. */
export function normaliseAnswer(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return AI_EMPTY_ANSWER_TEXT;
  return trimmed.length > AI_REPLY_MAX_CHARS ? `${trimmed.slice(0, AI_REPLY_MAX_CHARS - 1)}…` : trimmed;
}
