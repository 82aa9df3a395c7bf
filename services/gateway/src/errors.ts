import { AppError } from '@chat/contract';

/**
 * Network and server-state codes of Node, PostgreSQL (class 08/57, and 25P03:
 * a transaction ended by idle_in_transaction_session_timeout) and Redis that
 * mean "try again later". 57014 is a statement cancelled by statement_timeout.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '25P03',
  '57014',
  '57P01',
  '57P02',
  '57P03',
]);
const UNAVAILABLE_NAMES = new Set(['KnexTimeoutError', 'MaxRetriesPerRequestError', 'AbortError']);
const UNAVAILABLE_MESSAGES = [/connection is not ready/i, /connection is closed/i, /connection terminated/i, /timeout acquiring a connection/i, /stream isn't writeable/i, /command timed out/i];

/**
 * Maps anything a handler threw to an AppError: AppErrors pass through, a
 * database or Redis outage becomes `unavailable` (the client may retry), the
 * rest `internal`.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isOutage(err)) return new AppError('unavailable', 'the service is temporarily unavailable; retry shortly', { cause: err });
  return new AppError('internal', 'internal error', { cause: err });
}

/**
 * A PostgreSQL data exception (class 22: invalid text, a value too long) or
 * integrity violation (class 23: a constraint): the fault of one row, not of
 * the database. Returns the SQLSTATE, or undefined.
 */
export function dataErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) return code;
  return err.cause !== undefined && err.cause !== err ? dataErrorCode(err.cause) : undefined;
}

function isOutage(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  if (UNAVAILABLE_NAMES.has(err.name)) return true;
  if (UNAVAILABLE_MESSAGES.some((re) => re.test(err.message))) return true;
  if (err instanceof AggregateError) return err.errors.some(isOutage);
  return err.cause !== undefined && err.cause !== err && isOutage(err.cause);
}

export interface SafeErrorFields {
  type: string;
  code?: string;
  message: string;
  stack?: string;
}

/**
 * What of an error may go to a log. Database errors carry row contents in
 * `detail`, and knex puts the query with its bound values (message contents)
 * in front of the server's message, so only the name, the code, the server's
 * own message and the stack frames are kept.
 */
export function safeError(err: unknown): SafeErrorFields {
  if (!(err instanceof Error)) return { type: typeof err, message: 'non-error thrown' };
  const target = err instanceof AppError && err.cause instanceof Error ? err.cause : err;
  const code = (target as { code?: unknown }).code;
  let message = target.message;
  const queryEnd = message.lastIndexOf(' - ');
  if (queryEnd > 0 && /^\s*(insert|select|update|delete|with)\b/i.test(message)) message = message.slice(queryEnd + 3);
  const frames = target.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, 8);
  return {
    type: target.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: message.slice(0, 300),
    ...(frames && frames.length > 0 ? { stack: frames.join('\n') } : {}),
  };
}
