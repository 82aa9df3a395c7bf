import { AppError } from '@chat/contract';

/** Socket-level failures: the peer is down, unreachable or went away. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs that mean "the server cannot serve you now": class 08
 * (connection exception), admin/crash shutdown, starting up, too many connections.
 */
const isUnavailableSqlState = (code: string): boolean =>
  /^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';

/** SQLSTATEs for text PostgreSQL cannot store: NUL (22021) and its `\u0000` escape (22P05). */
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

/** Errors the drivers raise by name or message rather than by code. */
const UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'KnexTimeoutError']);
const UNAVAILABLE_MESSAGES = [
  /^Knex: Timeout acquiring a connection/, // the pool could not get a connection in time
  /^Connection is closed\.?$/, // ioredis, a command on a closed connection
  /^Command timed out$/, // ioredis, commandTimeout on a hung Redis
  /^Stream isn't writeable/, // ioredis with the offline queue off
  /^Connection terminated/, // pg: unexpectedly, or due to connection timeout
  /not queryable$/, // pg: "Client has encountered a connection error and is not queryable"
  /^LOADING\b/, // Redis still loading its dataset
];

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The error, its causes and, for an AggregateError (a dual-stack connect), its members. */
function* chain(err: unknown, depth = 0): Generator<ErrorLike> {
  if (depth > 5 || typeof err !== 'object' || err === null) return;
  const e = err as ErrorLike;
  yield e;
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* chain(inner, depth + 1);
  yield* chain(e.cause, depth + 1);
}

function isUnavailable(e: ErrorLike): boolean {
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code) || isUnavailableSqlState(code)) return true;
  if (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * Turns what Redis, PostgreSQL or their drivers throw into the contract's
 * error, when it is one a client can act on: an outage is 503 `unavailable`
 * (try again later), text PostgreSQL cannot store is 400 `validation`
 * (a safety net behind the schemas, which refuse NUL). Anything else:
 * undefined, an internal error.
 */
export function dependencyError(err: unknown): AppError | undefined {
  for (const e of chain(err)) {
    if (typeof e.code === 'string' && UNSTORABLE_TEXT.has(e.code)) {
      return new AppError('validation', 'text must not contain the NUL character (\\u0000)', { cause: err });
    }
    if (isUnavailable(e)) {
      return new AppError('unavailable', 'a service this request needs is unavailable; try again later', { cause: err });
    }
  }
  return undefined;
}
