import type { ErrorCode } from '@chat/contract';

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
