import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, MessageSendPayload, MessageSendResult, RoomJoinPayload, RoomJoinResult, ServerToClientEvents, TypingPayload } from '@chat/contract';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectionState = 'connecting' | 'online' | 'offline';

/** The request never reached the server or its answer was lost: safe to repeat later. */
export class NotDelivered extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'NotDelivered';
  }
}

export interface ConnectionHandlers {
  onStateChange(state: ConnectionState): void;
  /** After every (re)connection: the server has forgotten which rooms this socket joined. */
  onConnect(): void;
  /** The handshake was refused: the token expired or was revoked. */
  onUnauthorized(): void;
}

/**
 * After this an unanswered request counts as not confirmed (and is sent again). Longer than the
 * gateway's own 10 s deadline, so a slow server answers `unavailable` before the client gives up.
 */
const ACK_TIMEOUT_MS = 15_000;
/** Retry delay after the server refused a handshake for a reason other than auth. */
const REFUSED_RETRY_MS = 3_000;

/**
 * One Socket.IO connection through nginx. Socket.IO reconnects on its own after
 * network loss; this also reconnects after a server-side disconnect, so a
 * revoked token surfaces as `onUnauthorized` rather than a silent dead socket.
 */
export class Connection {
  readonly socket: ChatSocket;
  #state: ConnectionState = 'connecting';
  #closed = false;

  constructor(token: string, private readonly handlers: ConnectionHandlers) {
    this.socket = io({ path: '/socket.io', auth: { token }, ackTimeout: ACK_TIMEOUT_MS, reconnectionDelay: 500, reconnectionDelayMax: 5_000 });
    this.socket.on('connect', () => {
      this.#setState('online');
      handlers.onConnect();
    });
    this.socket.on('disconnect', (reason) => {
      this.#setState('offline');
      if (reason === 'io server disconnect' && !this.#closed) this.socket.connect();
    });
    this.socket.on('connect_error', (err) => {
      if (this.#closed) return;
      if (err.message === 'unauthorized') {
        handlers.onUnauthorized();
        return;
      }
      this.#setState('offline');
      // `active` is false when the server refused the handshake: Socket.IO then won't retry by itself.
      if (!this.socket.active) setTimeout(() => !this.#closed && this.socket.connect(), REFUSED_RETRY_MS);
    });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  join(payload: RoomJoinPayload): Promise<Ack<RoomJoinResult>> {
    return this.#request(() => this.socket.emitWithAck('room:join', payload));
  }

  leave(roomId: string): Promise<Ack> {
    return this.#request(() => this.socket.emitWithAck('room:leave', { roomId }));
  }

  send(payload: MessageSendPayload): Promise<Ack<MessageSendResult>> {
    return this.#request(() => this.socket.emitWithAck('message:send', payload));
  }

  typing(payload: TypingPayload): Promise<Ack> {
    return this.#request(() => this.socket.emitWithAck('typing', payload));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }

  async #request<T>(emit: () => Promise<T>): Promise<T> {
    // Never let Socket.IO buffer a request while offline: after a reconnect the
    // room must be re-joined before anything else is sent.
    if (!this.socket.connected) throw new NotDelivered('offline');
    try {
      return await emit();
    } catch (err) {
      throw new NotDelivered(err instanceof Error ? err.message : 'no answer');
    }
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.handlers.onStateChange(state);
  }
}
