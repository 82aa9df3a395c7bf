import { AppError } from '@chat/contract';

export interface SafeErrorFields {
  type: string;
  code?: string;
  message: string;
  stack?: string;
}

/** Longest error message kept in a log line. */
const MESSAGE_LIMIT = 300;
/** Stack frames kept in a log line. */
const FRAME_LIMIT = 8;

/**
 * What of an error may go to a log. Database errors carry row contents in
 * `detail`, and knex puts the query with its bound values (message contents,
 * password hashes) in front of the server's message, so only the name, the
 * code, the server's own message and the stack frames are kept. An AppError
 * is described by its cause, where it has one.
 */
export function safeError(err: unknown): SafeErrorFields {
  if (!(err instanceof Error)) return { type: typeof err, message: 'non-error thrown' };
  const target = err instanceof AppError && err.cause instanceof Error ? err.cause : err;
  const code = (target as { code?: unknown }).code;
  let message = target.message;
  const queryEnd = message.lastIndexOf(' - ');
  if (queryEnd > 0 && /^\s*(insert|select|update|delete|with)\b/i.test(message)) message = message.slice(queryEnd + 3);
  const frames = target.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, FRAME_LIMIT);
  return {
    type: target.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: message.slice(0, MESSAGE_LIMIT),
    ...(frames && frames.length > 0 ? { stack: frames.join('\n') } : {}),
  };
}
