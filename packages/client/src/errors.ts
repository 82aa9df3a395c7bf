import { errorCodes, RestError, type ErrorCode, type SessionEndReason } from '@chat/contract';

/**
 * Why a call failed: one of the contract's error codes, `network` when the server
 * could not be reached, or `closed` when the client was closed first. `retryAfterMs`
 * comes with `rate_limited`: how long to wait before trying again.
 */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  constructor(
    readonly code: ErrorCode | 'network' | 'closed',
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Whether the same call may succeed later unchanged (an outage, no answer). */
  get retryable(): boolean {
    return this.code === 'unavailable' || this.code === 'network';
  }
}

/** Any failure as a ChatError: a RestError keeps its code, anything else is `network`. */
export function toChatError(err: unknown): ChatError {
  if (err instanceof ChatError) return err;
  if (err instanceof RestError) return new ChatError(err.code, err.message, err.retryAfterMs);
  return new ChatError('network', err instanceof Error ? err.message : String(err));
}

/** A socket.io-client `connect_error`: a refusal by the server carries a contract code in `data` (or as the message). */
export type ConnectError = Error & { data?: { code?: string; message?: string; retryAfterMs?: number } };

/** A handshake the server refused (its `connect_error` names a contract code), or undefined for a transport error. */
export function refusalOf(err: ConnectError): ChatError | undefined {
  const code = err.data?.code ?? err.message;
  if (!(errorCodes as readonly string[]).includes(code)) return undefined;
  return new ChatError(code as ErrorCode, err.data?.message ?? err.message, err.data?.retryAfterMs);
}

/** Why a refused token ended the session, from the server's words (a handshake or a REST 401 says no more). */
export function endReasonOf(error: { message: string }): SessionEndReason {
  if (/deleted/i.test(error.message)) return 'deleted';
  return /revoked|logged out/i.test(error.message) ? 'logged_out' : 'expired';
}
