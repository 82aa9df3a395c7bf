import type { MessageSendResult } from '@chat/contract';
import { ChatError } from './errors.js';

/**
 * Where a send stands. waiting: for the connection, or for its room to be joined on it (also
 * a send whose connection dropped before its answer came); sending: out, its answer awaited;
 * unconfirmed: out on a live connection but unanswered, or answered `unavailable` — it may or
 * may not be stored, and goes out again with the same clientId (so it is stored once).
 */
export type SendState = 'waiting' | 'sending' | 'unconfirmed';

/** A send not acknowledged yet: it goes out again, with the same clientId, until it is. */
export interface PendingSend {
  roomId: string;
  content: string;
  clientId: string;
  /** Attempts so far. */
  attempts: number;
  state: SendState;
  /** When a retry may go out (after an `unavailable`), in ms since the epoch. */
  notBefore: number;
  /** Being sent right now (one attempt at a time). */
  inFlight: boolean;
  resolve(result: MessageSendResult): void;
  reject(error: ChatError): void;
}

/** The wait before the n-th retry after an `unavailable`: 0.5, 1, 2, 4, then 8 s. */
export const retryDelayMs = (attempts: number): number => Math.min(8_000, 500 * 2 ** Math.max(0, attempts - 1));

/**
 * Sends waiting for their acknowledgement, in the order they were made. A send that
 * got no answer (the connection dropped, the ack timed out) or `unavailable` stays
 * and is sent again with its clientId — the server stores a clientId once, so the
 * message exists exactly once however often it is sent. Any other answer settles it.
 */
export class Outbox {
  private readonly sends: PendingSend[] = [];

  add(send: Omit<PendingSend, 'attempts' | 'notBefore' | 'inFlight' | 'state'>): PendingSend {
    const pending: PendingSend = { ...send, attempts: 0, notBefore: 0, inFlight: false, state: 'waiting' };
    this.sends.push(pending);
    return pending;
  }

  /** What is waiting, oldest first (for a "sending…" state in a UI). */
  get pending(): readonly PendingSend[] {
    return this.sends;
  }

  /** The sends of `roomIds` that may go out now, oldest first. */
  due(roomIds: ReadonlySet<string>, now: number): PendingSend[] {
    return this.sends.filter((s) => !s.inFlight && roomIds.has(s.roomId) && s.notBefore <= now);
  }

  /** The earliest time a waiting send may go out again, if any waits for a time. */
  nextDue(now: number): number | undefined {
    const times = this.sends.filter((s) => !s.inFlight && s.notBefore > now).map((s) => s.notBefore);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  settle(send: PendingSend, outcome: { result: MessageSendResult } | { error: ChatError }): void {
    const at = this.sends.indexOf(send);
    if (at >= 0) this.sends.splice(at, 1);
    if ('result' in outcome) send.resolve(outcome.result);
    else send.reject(outcome.error);
  }

  /** Rejects every waiting send (the client is closing, or its session ended); returns them. */
  failAll(error: ChatError): PendingSend[] {
    const failed = this.sends.splice(0);
    for (const send of failed) send.reject(error);
    return failed;
  }
}
