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
  /** Seconds a client should wait before retrying (rate limits). */
  retryAfter?: number;
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
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = statusByCode[code];
    this.expose = code !== 'internal';
    this.retryAfter = options.retryAfter;
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
  static rateLimited(retryAfter: number, message = 'too many requests, slow down'): AppError {
    return new AppError('rate_limited', message, { retryAfter });
  }
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** Turns anything thrown into the contract's error shape; hides internal details. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof AppError) {
    return { code: err.code, message: err.expose ? err.message : 'internal error' };
  }
  return { code: 'internal', message: 'internal error' };
}

export function statusOf(code: ErrorCode): number {
  return statusByCode[code];
}
