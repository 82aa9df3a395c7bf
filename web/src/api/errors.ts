import { ChatError } from '@chat/client';
import { RestError, type AckError } from '@chat/contract';

export type ErrorCode = AckError['code'] | 'network' | 'closed';

/** The code of a failure from the SDK (a ChatError) or from its `rest` calls (a RestError); undefined for anything else. */
export function errorCode(err: unknown): ErrorCode | undefined {
  return err instanceof ChatError || err instanceof RestError ? err.code : undefined;
}

const capitalise = (s: string): string => (s ? s.charAt(0).toUpperCase() + s.slice(1) : s);
const sentence = (s: string): string => {
  const t = capitalise(s.trim());
  return /[.!?]$/.test(t) ? t : `${t}.`;
};

/** Words a person can act on, for any error code from the server. */
export function describeError(code: ErrorCode, message = '', retryAfter?: number): string {
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
    case 'closed':
      return 'The chat was closed. Please reload the page.';
    case 'internal':
      return 'Something went wrong on our side. Please try again.';
  }
}

/** `err` in words: a ChatError or RestError by its code, anything else as an internal error. */
export function describe(err: unknown): string {
  if (err instanceof ChatError || err instanceof RestError) {
    return describeError(err.code, err.message, err.retryAfterMs === undefined ? undefined : Math.ceil(err.retryAfterMs / 1000));
  }
  return describeError('internal');
}

/** Errors worth a "Retry" button: the same request may well succeed later. */
export const isRetryable = (code: ErrorCode): boolean => code === 'rate_limited' || code === 'unavailable' || code === 'internal' || code === 'network';
