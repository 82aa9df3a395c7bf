import type { Ack, MessageSendResult } from '@chat/contract';
import { describeError, isRetryable } from '../api/errors.js';
import { NotDelivered } from '../socket/connection.js';
import type { PendingMessage, Timeline } from './timeline.js';

export interface OutboxDeps {
  timeline: Timeline;
  /** `message:send` for this room; rejects with NotDelivered when offline or unanswered. */
  send(content: string, clientId: string): Promise<Ack<MessageSendResult>>;
  /** The room is joined on the current connection, so sends may go out. */
  isJoined(): boolean;
  isConnected(): boolean;
  isClosed(): boolean;
  /** The server took it: a stored message, or a command's receipt. */
  onAccepted(ack: MessageSendResult, content: string): void;
  /** Refused as invalid: the text goes back to the composer with the reason. */
  onInvalid(content: string, reason: string): void;
  /**
   * A send went out on a live connection and got no answer: the message may or may
   * not be stored. Re-joining the room tells (its `missed` holds it if it was) and
   * re-sends it otherwise.
   */
  onUnconfirmed(): void;
  changed(): void;
}

/**
 * Our sends, from the composer to the server's acknowledgement. Each keeps its
 * clientId for good, so sending it again can never store it twice. A send that
 * never reached the server (offline), whose answer never came or that the server
 * could not finish (`unavailable`: unconfirmed) is sent again by `flush` after every
 * re-join; one the server refused (rate_limited, internal, …) waits for the user's
 * Retry or Dismiss, and an invalid one goes back to the composer.
 */
export class Outbox {
  constructor(private readonly deps: OutboxDeps) {}

  /** Adds a new message under `clientId` and sends it. */
  add(clientId: string, content: string): void {
    this.deps.timeline.addPending(clientId, content);
    void this.deliver(clientId);
  }

  /** Sends (again) one pending message; resolves to its state afterwards (undefined: it left the outbox). */
  async deliver(clientId: string): Promise<PendingMessage['state'] | undefined> {
    const { timeline } = this.deps;
    const pending = timeline.getPending(clientId);
    if (!pending) return undefined;
    if (!this.deps.isJoined()) return this.#set(clientId, { state: 'waiting' });
    this.#set(clientId, { state: 'sending', error: undefined });
    let ack: Ack<MessageSendResult>;
    try {
      ack = await this.deps.send(pending.content, clientId);
    } catch (err) {
      if (!(err instanceof NotDelivered)) throw err;
      // Stored meanwhile (it came back live, or in a re-join's `missed`): nothing left to do.
      if (!timeline.getPending(clientId)) return undefined;
      if (!this.deps.isConnected()) return this.#set(clientId, { state: 'waiting' });
      return this.#unconfirmed(clientId);
    }
    if (this.deps.isClosed()) return undefined;
    if (!ack.ok && ack.error.code === 'unavailable') {
      // The gateway could not finish in time (Redis or PostgreSQL slow or away): the message
      // may yet be stored. Like no answer at all: the re-join tells, or it goes again.
      return timeline.getPending(clientId) ? this.#unconfirmed(clientId) : undefined;
    }
    if (ack.ok) {
      timeline.removePending(clientId);
      this.deps.onAccepted(ack, pending.content);
    } else if (ack.error.code === 'validation') {
      timeline.removePending(clientId);
      this.deps.onInvalid(pending.content, describeError('validation', ack.error.message));
    } else {
      const error = describeError(ack.error.code, ack.error.message);
      return this.#set(clientId, { state: 'failed', error, retryable: isRetryable(ack.error.code) });
    }
    this.deps.changed();
    return undefined;
  }

  /**
   * After a (re-)join: sends what waited for the connection and what went unconfirmed,
   * oldest first and one at a time (so they are stored in the order they were written).
   * Stops at the first that is not answered again; the next re-join goes on from there.
   * Resolves to whether every one got an answer.
   */
  async flush(): Promise<boolean> {
    for (const { clientId } of this.deps.timeline.pending()) {
      if (this.deps.isClosed() || !this.deps.isJoined()) return false;
      const state = this.deps.timeline.getPending(clientId)?.state;
      if (state !== 'waiting' && state !== 'unconfirmed') continue;
      const after = await this.deliver(clientId);
      if (after === 'waiting' || after === 'unconfirmed') return false;
    }
    return true;
  }

  discard(clientId: string): void {
    this.deps.timeline.removePending(clientId);
    this.deps.changed();
  }

  #unconfirmed(clientId: string): PendingMessage['state'] | undefined {
    const state = this.#set(clientId, { state: 'unconfirmed', error: undefined });
    this.deps.onUnconfirmed();
    return state;
  }

  #set(clientId: string, change: Partial<Omit<PendingMessage, 'clientId'>>): PendingMessage['state'] | undefined {
    this.deps.timeline.updatePending(clientId, change);
    this.deps.changed();
    return this.deps.timeline.getPending(clientId)?.state;
  }
}
