import { RestError as ApiError, type AckError } from '@chat/contract';

export type ErrorCode = AckError['code'];

/** A failed REST call or acknowledgement, with the contract's error code (`network`: no answer). */
export { RestError as ApiError } from '@chat/contract';

const capitalise = (s: string): string => (s ? s.charAt(0).toUpperCase() + s.slice(1) : s);
const sentence = (s: string): string => {
  const t = capitalise(s.trim());
  return /[.!?]$/.test(t) ? t : `${t}.`;
};

/** Words a person can act on, for any error code from the server. */
export function describeError(code: ErrorCode | 'network', message = '', retryAfter?: number): string {
  switch (code) {
    case 'validation':
      return message ? sentence(message) : 'That was not accepted; please check what you entered.';
    case 'conflict':
      return message ? sentence(message) : 'That name is already taken.';
    case 'unauthorized':
      return 'Your session has ended. Please sign in again.';
    case 'forbidden':
      return message ? `Not allowed: ${sentence(message)}` : 'You are not allowed to do that.';
    case 'not_found':
      return message ? `Not found: ${sentence(message)}` : 'That no longer exists.';
    case 'rate_limited':
      if (retryAfter) return `You are going too fast. Please wait ${retryAfter} s and try again.`;
      return message ? `You are going too fast: ${sentence(message)}` : 'You are going too fast. Please wait a moment and try again.';
    case 'unavailable':
      return 'The service is busy or restarting. Please try again in a moment.';
    case 'network':
      return 'Cannot reach the server. Check your connection and try again.';
    case 'internal':
      return 'Something went wrong on our side. Please try again.';
  }
}

export function describe(err: unknown): string {
  if (err instanceof ApiError) return describeError(err.code, err.message, err.retryAfterMs === undefined ? undefined : Math.ceil(err.retryAfterMs / 1000));
  return describeError('internal');
}

/** Errors worth a "Retry" button: the same request may well succeed later. */
export const isRetryable = (code: ErrorCode | 'network'): boolean =>
  code === 'rate_limited' || code === 'unavailable' || code === 'internal' || code === 'network';
