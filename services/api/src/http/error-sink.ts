import type { Middleware } from 'koa';
import { AppError, toErrorBody, type ErrorCode } from '@chat/contract';
import { dependencyError, safeError, type Logger } from '@chat/runtime';

/** Errors from Koa's own machinery (co-body, ctx.throw) carry an HTTP status. */
interface HttpLikeError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  expose?: unknown;
}

const codeByStatus: Record<number, ErrorCode> = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'validation',
  415: 'validation',
  429: 'rate_limited',
  503: 'unavailable',
};

/** Messages for the body parser's errors, written here so nothing of the body is echoed. */
const messageByType: Record<string, string> = {
  'entity.parse.failed': 'malformed JSON body',
  'entity.too.large': 'request body is too large',
  'encoding.unsupported': 'unsupported content encoding',
  'charset.unsupported': 'unsupported charset',
  'request.size.invalid': 'request body size did not match Content-Length',
  'request.aborted': 'request aborted',
};

interface NormalisedError {
  status: number;
  code: ErrorCode;
  message: string;
  retryAfterMs?: number | undefined;
}

function normalise(err: unknown): NormalisedError {
  if (err instanceof AppError) {
    return { status: err.status, ...toErrorBody(err) };
  }
  const mapped = dependencyError(err);
  if (mapped) return { status: mapped.status, ...toErrorBody(mapped) };
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpLikeError;
  const raw = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  const code = raw >= 400 && raw < 500 ? (codeByStatus[raw] ?? 'validation') : (codeByStatus[raw] ?? 'internal');
  if (code === 'internal') return { status: 500, code, message: 'internal error' };
  const byType = typeof e.type === 'string' ? messageByType[e.type] : undefined;
  const message = byType ?? (err instanceof SyntaxError ? messageByType['entity.parse.failed']! : 'bad request');
  return { status: raw, code, message };
}

/**
 * The one error sink: anything thrown below becomes the contract's
 * `{"error": {"code", "message"}}` (and `retryAfterMs` with `rate_limited`) with its status. Only exposed messages
 * reach the client; a Redis or PostgreSQL outage is 503 `unavailable`;
 * unexpected errors are logged and answered as `internal`.
 */
export function errorSink(logger: Logger): Middleware {
  const log = logger.child({ module: 'http' });
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const { status, code, message, retryAfterMs } = normalise(err);
      if (status === 503) {
        log.warn({ err: safeError(err), method: ctx.method, path: ctx.path, status }, 'request failed: a dependency is unavailable');
      } else if (status >= 500) {
        log.error({ err: safeError(err), method: ctx.method, path: ctx.path, status }, 'request failed');
      } else {
        log.debug({ method: ctx.method, path: ctx.path, status, code }, 'request refused');
      }
      ctx.status = status;
      ctx.body = { error: { code, message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) } };
      // The header (whole seconds, rounded up) for HTTP clients that know no body field.
      if (retryAfterMs !== undefined) ctx.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    }
  };
}
