export const errorCodes = [
  'validation',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'rate_limited',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

const statusByCode: Record<ErrorCode, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export interface AppErrorOptions {
  /** Milliseconds a client should wait before retrying (rate limits). */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * The one error type handlers throw. `code` is one of the contract's codes;
 * `expose` says whether `message` may reach a client (internal errors never do).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = statusByCode[code];
    this.expose = code !== 'internal';
    this.retryAfterMs = options.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(options.retryAfterMs));
  }

  static validation(message: string): AppError {
    return new AppError('validation', message);
  }
  static unauthorized(message = 'authentication required'): AppError {
    return new AppError('unauthorized', message);
  }
  static forbidden(message: string): AppError {
    return new AppError('forbidden', message);
  }
  static notFound(message: string): AppError {
    return new AppError('not_found', message);
  }
  static conflict(message: string): AppError {
    return new AppError('conflict', message);
  }
  /** `rate_limited`, with how long to wait (milliseconds; in the error body as `retryAfterMs`). */
  static rateLimited(retryAfterMs: number, message = 'too many requests, slow down'): AppError {
    return new AppError('rate_limited', message, { retryAfterMs });
  }
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** `rate_limited` only: milliseconds to wait before retrying. */
  retryAfterMs?: number;
}

/** Turns anything thrown into the contract's error shape; hides internal details. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof AppError) {
    const body: ErrorBody = { code: err.code, message: err.expose ? err.message : 'internal error' };
    if (err.code === 'rate_limited' && err.retryAfterMs !== undefined) body.retryAfterMs = err.retryAfterMs;
    return body;
  }
  return { code: 'internal', message: 'internal error' };
}

export function statusOf(code: ErrorCode): number {
  return statusByCode[code];
}
