import { io, type Socket } from 'socket.io-client';
import {
  HISTORY_DEFAULT_LIMIT,
  messageSchema,
  reactionEventSchema,
  roomReadEventSchema,
  type AuthResponse,
  type ClientToServerEvents,
  type EventError,
  type HistoryResponse,
  type MessageSendResult,
  type ReactionSetResult,
  type RestClient,
  type RoomJoinResult,
  type ServerToClientEvents,
  type SessionEndReason,
  type User,
  type UserRef,
} from '@chat/contract';
import { newClientId } from './client-id.js';
import type { ChatClientEvents, ChatClientOptions, ConnectionState, RoomState, SendOptions } from './client-options.js';
import { Emitter } from './emitter.js';
import { ChatError, endReasonOf, refusalOf, toChatError, type ConnectError } from './errors.js';
import type { PendingSend } from './outbox.js';
import { ReadCursors } from './read-cursors.js';
import { RoomSync } from './room-sync.js';
import { SendQueue } from './send-queue.js';
import { sessionRestClient } from './session-rest.js';
import { request } from './socket.js';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type { ChatClientEvents, ChatClientOptions, ConnectionState, RoomState, SendEvent, SendOptions } from './client-options.js';

/**
 * A client of the chat platform. REST calls are in `rest` (every route, typed, with this
 * client's token) plus the account helpers; the socket side keeps itself right across
 * reconnects: it rejoins every room with `since`, pages what `missed` cannot hold over
 * REST, hands each room's messages on in seq order without duplicates, and resends every
 * unacknowledged message with its clientId (so each exists exactly once).
 */
export class ChatClient extends Emitter<ChatClientEvents> {
  readonly rest: RestClient;
  private tokenValue: string | undefined;
  private userValue: User | UserRef | undefined;
  private socket: ChatSocket | undefined;
  private readonly rooms = new Map<string, RoomSync>();
  private readonly sends: SendQueue;
  private readonly reads: ReadCursors;
  private ended = false;
  private loggingOut = false;
  private readonly ackTimeoutMs: number;
  private readonly newClientId: () => string;

  constructor(private readonly options: ChatClientOptions) {
    super();
    this.tokenValue = options.token;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 15_000;
    this.newClientId = options.newClientId ?? newClientId;
    this.sends = new SendQueue({
      socket: () => this.socket,
      liveRooms: () => new Set([...this.rooms].filter(([, room]) => room.live).map(([roomId]) => roomId)),
      stored: (message) => {
        // The server moved our cursor to the message we sent.
        if (message.type === 'message') this.reads.observe(message.roomId, message.seq);
        this.rooms.get(message.roomId)?.add(message);
      },
      unanswered: (roomId) => this.rooms.get(roomId)?.rejoinSoon(),
      emit: (event) => this.emit('send', event),
      ackTimeoutMs: this.ackTimeoutMs,
    });
    this.reads = new ReadCursors(async (roomId, seq) => {
      if (!this.socket) throw new ChatError('network', 'not connected');
      return (await request(this.socket, 'room:read', { roomId, seq }, this.ackTimeoutMs)).readSeq;
    });
    const restOptions = { baseUrl: options.baseUrl, token: () => this.tokenValue, ...(options.fetch ? { fetch: options.fetch } : {}) };
    // A REST 401 on this client's token ends the session as the socket's refusal would.
    this.rest = sessionRestClient(restOptions, (error) => this.end(endReasonOf(error)));
  }

  get token(): string | undefined {
    return this.tokenValue;
  }

  get user(): User | UserRef | undefined {
    return this.userValue;
  }

  get state(): ConnectionState {
    if (!this.socket) return 'disconnected';
    return this.socket.connected ? 'connected' : 'connecting';
  }

  /** Sends waiting for their acknowledgement, oldest first. */
  get pendingSends(): readonly Pick<PendingSend, 'roomId' | 'content' | 'clientId' | 'attempts' | 'state'>[] {
    return this.sends.pending;
  }

  /** What this client holds of a joined room; undefined when it is not joined. */
  roomState(roomId: string): RoomState | undefined {
    const room = this.rooms.get(roomId);
    if (!room) return undefined;
    return { live: room.live && this.state === 'connected', contiguous: room.feed.contiguous, oldest: room.oldest, hasOlder: room.hasOlder };
  }

  async register(username: string, password: string): Promise<AuthResponse> {
    return this.signedIn(await rest(() => this.rest.register({ body: { username, password } })));
  }

  async login(username: string, password: string): Promise<AuthResponse> {
    return this.signedIn(await rest(() => this.rest.login({ body: { username, password } })));
  }

  /** Logs the token out everywhere and closes the connection. */
  async logout(): Promise<void> {
    // The server's session:ended for this very logout may arrive before the REST answer: this client asked for it, so it is not emitted.
    this.loggingOut = true;
    try {
      await rest(() => this.rest.logout());
    } finally {
      this.loggingOut = false;
    }
    this.close();
    this.tokenValue = undefined;
  }

  /** Opens the connection; resolves once connected, rejects with `unauthorized` (log in again) or another refusal. */
  connect(): Promise<void> {
    if (!this.tokenValue) return Promise.reject(new ChatError('unauthorized', 'log in or register first'));
    this.ended = false;
    const socket = (this.socket ??= this.openSocket());
    if (socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        socket.off('connect', onConnect);
        socket.off('connect_error', onError);
      };
      const onConnect = (): void => {
        done();
        resolve();
      };
      const onError = (err: ConnectError): void => {
        // Refused by the server (bad token, too many connections, unavailable): tried again by openSocket's handler, or over.
        const refused = refusalOf(err);
        if (refused) {
          done();
          reject(refused);
        }
      };
      socket.on('connect', onConnect);
      socket.on('connect_error', onError);
      socket.connect();
    });
  }

  /**
   * Joins a room on the socket (the user must be a member: `rest.joinRoom` first) and keeps
   * it joined across reconnects. The first time, the room's latest `initialHistory` messages
   * are read over REST and emitted first; then everything from there on arrives in order.
   * Rejects with the first join's error; a passing one (`network`, `unavailable`) is tried
   * again by itself (see the `room` event), a refusal (`forbidden`) drops the room.
   */
  async join(roomId: string): Promise<RoomJoinResult> {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = this.openRoom(roomId);
      this.rooms.set(roomId, room);
    }
    try {
      await room.start(this.options.initialHistory ?? HISTORY_DEFAULT_LIMIT);
    } catch (err) {
      this.dropRoom(roomId, room);
      throw toChatError(err);
    }
    if (this.rooms.get(roomId) !== room) throw new ChatError('closed', 'the room was left while it was being joined');
    return room.run();
  }

  /** Stops delivery of a room to this client (membership stays; `rest.leaveRoom` ends it). Its unsent messages wait for a later join. */
  async leave(roomId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (!room) return;
    this.dropRoom(roomId, room);
    if (this.socket?.connected) await request(this.socket, 'room:leave', { roomId }, this.ackTimeoutMs);
  }

  /** A joined room's page of up to `limit` messages older than those held (for scroll-back); `hasMore`: older ones remain. */
  loadOlder(roomId: string, limit = HISTORY_DEFAULT_LIMIT): Promise<HistoryResponse> {
    const room = this.rooms.get(roomId);
    if (!room) return Promise.reject(new ChatError('validation', 'join the room first'));
    return rest(() => room.loadOlder(limit));
  }

  /**
   * Sends a message (or a command) and resolves with its acknowledgement once the server
   * has stored it. Until then it is in `pendingSends` and goes out again, with the same
   * clientId, after a reconnect or an `unavailable`. Rejects with the server's error
   * otherwise: `rate_limited` carries `retryAfterMs`. `send` events follow its progress.
   */
  send(roomId: string, content: string, options: SendOptions = {}): Promise<MessageSendResult> {
    if (this.ended) return Promise.reject(new ChatError('closed', 'the client is closed'));
    return this.sends.add(roomId, content, options.clientId ?? this.newClientId());
  }

  /** Tells the room this user is typing (it lapses after 5 s unless sent again). */
  async typing(roomId: string, isTyping: boolean): Promise<void> {
    if (!this.socket) throw new ChatError('network', 'not connected');
    await request(this.socket, 'typing', { roomId, isTyping }, this.ackTimeoutMs);
  }

  /**
   * Moves this user's read cursor of a room forward to `seq` (a member's room; it need not be
   * joined) and resolves with the cursor after it. Nothing is sent when the cursor known here
   * is at `seq` already; marks made while one is on its way go out as one, with the highest
   * seq. The user's other connections get `room:read`. Rejects with `network` when not
   * connected (mark again later), `validation` for a seq beyond the room's last message.
   */
  markRead(roomId: string, seq: number): Promise<number> {
    return this.reads.mark(roomId, seq);
  }

  /** The read cursor of a room as this client knows it (marked here, told by another device, or moved by one of this user's messages); 0 when unknown. */
  readSeq(roomId: string): number {
    return this.reads.get(roomId);
  }

  /**
   * Adds (`on`) or removes this user's reaction with one emoji on a message; resolves with
   * the emoji's count after it. Idempotent; every socket joined to the room, this one too,
   * gets a `reaction` event when it changed something. Rejects with `validation` (not one
   * emoji, or a 21st on the message), `not_found`, `rate_limited`, or `network`.
   */
  async react(roomId: string, messageId: string, emoji: string, on: boolean): Promise<ReactionSetResult> {
    if (!this.socket) throw new ChatError('network', 'not connected');
    return request(this.socket, 'reaction:set', { roomId, messageId, emoji, on }, this.ackTimeoutMs);
  }

  /** Closes the connection and rejects every send still waiting. */
  close(): void {
    this.ended = true;
    this.sends.failAll(new ChatError('closed', 'the client was closed before the message was acknowledged'));
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = undefined;
    for (const room of this.rooms.values()) room.disconnected();
    this.emit('connection', { state: 'disconnected' });
  }

  private signedIn(auth: AuthResponse): AuthResponse {
    this.tokenValue = auth.token;
    this.userValue = auth.user;
    return auth;
  }

  private openRoom(roomId: string): RoomSync {
    return new RoomSync(
      {
        roomId,
        join: (since) => {
          if (!this.socket) return Promise.reject(new ChatError('network', 'not connected'));
          return request(this.socket, 'room:join', since === undefined ? { roomId } : { roomId, since }, this.ackTimeoutMs);
        },
        history: (query) => this.rest.history({ params: { roomId }, query }),
        connected: () => this.socket?.connected === true,
        deliver: (message) => {
          // Our own message, sent here or on another device: the server moved our cursor to it.
          if (message.type === 'message' && message.sender?.id === this.userValue?.id) this.reads.observe(message.roomId, message.seq);
          this.emit('message', message);
        },
        joined: (result) => {
          this.emit('joined', { roomId, ...result });
          this.sends.flush();
        },
        report: (event) => {
          if (event.state === 'refused') {
            this.rooms.delete(roomId);
            this.emit('error', event.error);
          }
          this.emit('room', event);
        },
      },
      this.options.rooms,
    );
  }

  private dropRoom(roomId: string, room: RoomSync): void {
    room.close();
    if (this.rooms.get(roomId) === room) this.rooms.delete(roomId);
  }

  private openSocket(): ChatSocket {
    const socket: ChatSocket = io(this.options.baseUrl || undefined!, {
      autoConnect: false,
      // Read at every (re)connect: a new login's token is used from then on.
      auth: (cb) => cb({ token: this.tokenValue }),
      ...this.options.socket,
    });
    socket.on('connect', () => {
      this.emit('connection', { state: 'connected' });
      // Rooms still reading their first page join when it is in.
      for (const room of this.rooms.values()) if (room.started) room.run().catch(() => undefined);
    });
    socket.on('disconnect', (reason) => {
      for (const room of this.rooms.values()) room.disconnected();
      this.emit('connection', { state: reason === 'io server disconnect' || reason === 'io client disconnect' ? 'disconnected' : 'connecting' });
      // The server closed this socket without ending the session (not session:ended): connect again.
      if (reason === 'io server disconnect' && !this.ended) setTimeout(() => !this.ended && this.socket?.connect(), 1_000);
    });
    socket.on('connect_error', (err: ConnectError) => {
      const refused = refusalOf(err);
      if (refused?.code === 'unauthorized') {
        this.end(endReasonOf(refused));
        return;
      }
      this.emit('connection', { state: 'connecting', error: refused ?? new ChatError('network', err.message) });
      // Refused while the server's dependencies are away, or for too many connections: try again
      // after the wait it asks for (transport errors retry by themselves).
      if (refused && !this.ended) setTimeout(() => !this.ended && this.socket?.connect(), refused.retryAfterMs ?? 2_000);
    });
    socket.on('message', (payload) => {
      // Parsed at the edge: a malformed message must not move a room's seq order.
      const parsed = messageSchema.safeParse(payload);
      if (parsed.success) this.rooms.get(parsed.data.roomId)?.add(parsed.data);
      else this.emit('error', new ChatError('internal', 'ignored a malformed message event'));
    });
    socket.on('presence', (event) => this.emit('presence', event));
    socket.on('typing', (event) => this.emit('typing', event));
    socket.on('ai:delta', (event) => this.emit('ai:delta', event));
    socket.on('room:read', (payload) => {
      const parsed = roomReadEventSchema.safeParse(payload);
      if (!parsed.success) return this.emit('error', new ChatError('internal', 'ignored a malformed room:read event'));
      this.reads.observe(parsed.data.roomId, parsed.data.readSeq);
      this.emit('room:read', parsed.data);
    });
    socket.on('reaction', (payload) => {
      const parsed = reactionEventSchema.safeParse(payload);
      if (parsed.success) this.emit('reaction', parsed.data);
      else this.emit('error', new ChatError('internal', 'ignored a malformed reaction event'));
    });
    socket.on('session:ended', ({ reason }) => this.end(reason));
    socket.on('error', (event: EventError) => this.emit('error', new ChatError(event.error.code, `${event.event}: ${event.error.message}`, event.error.retryAfterMs)));
    return socket;
  }

  /** The session is over for good: no reconnect with this token, sends fail. */
  private end(reason: SessionEndReason): void {
    if (this.ended) return;
    this.close();
    if (!this.loggingOut) this.emit('session:ended', { reason });
  }
}

/** A call whose failure becomes a ChatError. */
async function rest<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toChatError(err);
  }
}
