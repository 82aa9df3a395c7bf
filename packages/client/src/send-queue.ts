import type { Message, MessageSendResult } from '@chat/contract';
import type { ChatSocket } from './client.js';
import type { SendEvent } from './client-options.js';
import { ChatError, toChatError } from './errors.js';
import { Outbox, retryDelayMs, type PendingSend } from './outbox.js';
import { request } from './socket.js';

export interface SendQueueDeps {
  /** The connected socket, if any. */
  socket(): ChatSocket | undefined;
  /** The rooms joined on the current connection: only their sends go out. */
  liveRooms(): ReadonlySet<string>;
  /** A send was stored: its message, to put in its room's feed. */
  stored(message: Message): void;
  /** A send went unanswered on a live connection: its room should be joined again before it goes again. */
  unanswered(roomId: string): void;
  emit(event: SendEvent): void;
  ackTimeoutMs: number;
}

type Change = { state: PendingSend['state'] } | { state: 'sent'; result: MessageSendResult } | { state: 'failed'; error: ChatError };

/**
 * The sending half of a ChatClient: an Outbox and the attempts that empty it. Every send is
 * reported as it moves on (`send` events), and goes out again with its clientId until the
 * server answers: after a reconnect, after its room is joined again (when it went unanswered
 * on a live connection), or after a pause (when the answer was `unavailable`).
 */
export class SendQueue {
  private readonly outbox = new Outbox();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly deps: SendQueueDeps) {}

  get pending(): readonly PendingSend[] {
    return this.outbox.pending;
  }

  add(roomId: string, content: string, clientId: string): Promise<MessageSendResult> {
    return new Promise((resolve, reject) => {
      this.report(this.outbox.add({ roomId, content, clientId, resolve, reject }), { state: 'waiting' });
      this.flush();
    });
  }

  /** Sends what may go out now: the sends of rooms joined on the current connection. */
  flush(): void {
    clearTimeout(this.timer);
    const socket = this.deps.socket();
    if (!socket?.connected) return;
    const now = Date.now();
    for (const send of this.outbox.due(this.deps.liveRooms(), now)) void this.attempt(socket, send);
    const next = this.outbox.nextDue(now);
    if (next !== undefined) this.timer = setTimeout(() => this.flush(), next - now);
  }

  /** Rejects every waiting send (the client closed). */
  failAll(error: ChatError): void {
    clearTimeout(this.timer);
    for (const send of this.outbox.failAll(error)) this.report(send, { state: 'failed', error });
  }

  private async attempt(socket: ChatSocket, send: PendingSend): Promise<void> {
    send.inFlight = true;
    send.attempts += 1;
    this.report(send, { state: 'sending' });
    try {
      const result = await request(socket, 'message:send', { roomId: send.roomId, content: send.content, clientId: send.clientId }, this.deps.ackTimeoutMs);
      // The stored message in its place in the room now (its broadcast is then a duplicate).
      if ('message' in result) this.deps.stored(result.message);
      this.outbox.settle(send, { result });
      this.report(send, { state: 'sent', result });
    } catch (err) {
      const error = toChatError(err);
      send.inFlight = false;
      if (!error.retryable) {
        this.outbox.settle(send, { error });
        this.report(send, { state: 'failed', error });
        return;
      }
      if (error.code === 'unavailable') {
        // The server could not finish in time: it may yet be stored. Again after a pause.
        send.notBefore = Date.now() + retryDelayMs(send.attempts);
        this.report(send, { state: 'unconfirmed' });
      } else if (socket.connected) {
        // Unanswered on a live connection: the room is joined again first (its `missed`
        // shows whether it was stored), then it goes out again.
        this.report(send, { state: 'unconfirmed' });
        this.deps.unanswered(send.roomId);
      } else this.report(send, { state: 'waiting' });
      this.flush();
    }
  }

  private report(send: PendingSend, change: Change): void {
    if (change.state !== 'sent' && change.state !== 'failed') send.state = change.state;
    this.deps.emit({ roomId: send.roomId, clientId: send.clientId, content: send.content, ...change } as SendEvent);
  }
}
