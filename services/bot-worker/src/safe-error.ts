export interface SafeErrorFields {
  type: string;
  code?: string;
  message: string;
}

/**
 * What of an error may go to a log. knex puts the query with its bound values (a
 * reply's text, room messages) in front of the server's message, and PostgreSQL
 * errors carry row contents in `detail`: only the name, the code and the server's
 * own message (cut to 200 characters) are kept.
 */
export function safeError(err: unknown): SafeErrorFields {
  if (!(err instanceof Error)) return { type: typeof err, message: 'non-error thrown' };
  const code = (err as { code?: unknown }).code;
  const queryEnd = err.message.lastIndexOf(' - ');
  const message = (queryEnd >= 0 ? err.message.slice(queryEnd + 3) : err.message).slice(0, 200);
  return { type: err.name, ...(typeof code === 'string' ? { code } : {}), message };
}
