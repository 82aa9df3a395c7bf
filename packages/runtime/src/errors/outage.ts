import { AppError } from '@chat/contract';

/** Socket-level failures of Node: the peer is down, unreachable or went away. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs that mean "the server cannot serve you now": class 08
 * (connection exception), admin or crash shutdown and starting up (57P01-03),
 * too many connections (53300), a statement cancelled by statement_timeout
 * (57014) and a transaction ended by idle_in_transaction_session_timeout (25P03).
 */
const isUnavailableSqlState = (code: string): boolean => /^08[0-9A-Z]{3}$/.test(code) || ['57P01', '57P02', '57P03', '53300', '57014', '25P03'].includes(code);

/** SQLSTATEs of text PostgreSQL cannot store: NUL (22021) and its `\u0000` escape (22P05). */
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

/** What the drivers raise by name or message rather than by code. */
const UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'KnexTimeoutError', 'AbortError', 'TimeoutError']);
const UNAVAILABLE_MESSAGES = [
  /timeout acquiring a connection/i, // knex: the pool could not get a connection in time
  /connection is closed/i, // ioredis: a command on a closed connection
  /connection is not ready/i,
  /command timed out/i, // ioredis: commandTimeout on a hung Redis
  /stream isn't writeable/i, // ioredis with the offline queue off
  /connection terminated/i, // pg: unexpectedly, or due to connection timeout
  /not queryable$/, // pg: "Client has encountered a connection error and is not queryable"
  /^LOADING\b/, // Redis still loading its dataset
  // A Redis Cluster failing over: no master for a slot yet, a key moving, a demoted master.
  /^CLUSTERDOWN\b/,
  /^TRYAGAIN\b/,
  /^MASTERDOWN\b/,
  /^READONLY\b/,
  /too many cluster redirections/i, // ioredis
  /failed to refresh slots cache/i, // ioredis
  /none of startup nodes is available/i, // ioredis
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
  if (e.cause !== err) yield* chain(e.cause, depth + 1);
}

function isUnavailable(e: ErrorLike): boolean {
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code) || isUnavailableSqlState(code)) return true;
  if (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}

/** True when `err` (or a cause) means Redis or PostgreSQL cannot serve now: a client may retry later. */
export function isOutage(err: unknown): boolean {
  for (const e of chain(err)) if (isUnavailable(e)) return true;
  return false;
}

/**
 * The contract's error for what Redis, PostgreSQL or their drivers threw, when
 * it is one a client can act on: an outage is `unavailable` (try again later),
 * text PostgreSQL cannot store is `validation` (a safety net behind the
 * schemas, which refuse NUL). Anything else: undefined.
 */
export function dependencyError(err: unknown): AppError | undefined {
  for (const e of chain(err)) {
    if (typeof e.code === 'string' && UNSTORABLE_TEXT.has(e.code)) {
      return new AppError('validation', 'text must not contain the NUL character (\\u0000)', { cause: err });
    }
    if (isUnavailable(e)) return new AppError('unavailable', 'a service this request needs is unavailable; try again shortly', { cause: err });
  }
  return undefined;
}

/** Anything thrown, as the contract's error: AppErrors pass, dependency failures are mapped, the rest is `internal`. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return dependencyError(err) ?? new AppError('internal', 'internal error', { cause: err });
}
