import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  createRestClient,
  MISSED_MAX,
  RestError,
  type Ack,
  type AiDeltaEvent,
  type AuthResponse,
  type ClientToServerEvents,
  type EventError,
  type Message,
  type MessageSendResult,
  type PresenceEvent,
  type RestClient,
  type RoomJoinResult,
  type ServerToClientEvents,
  type SessionEndReason,
  type TypingEvent,
  type User,
  type UserRef,
} from '@chat/contract';
import { Emitter } from './emitter.js';
import { ChatError } from './errors.js';
import { Outbox, retryDelayMs, type PendingSend } from './outbox.js';
import { RoomFeed } from './room-feed.js';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

/** What a ChatClient emits. */
export interface ChatClientEvents extends Record<string, unknown> {
  /** A room's next message: per room in seq order, each once, across reconnects. */
  message: Message;
  presence: PresenceEvent;
  typing: TypingEvent;
  'ai:delta': AiDeltaEvent;
  /** The server ended the session for good (token expired, logged out, account deleted): log in again. */
  'session:ended': { reason: SessionEndReason };
  /** The connection went up or down (it comes back by itself while the token is good). */
  connection: { state: ConnectionState };
  /** A room was (re)joined after a connect, its missed messages delivered. */
  joined: RoomJoinResult & { roomId: string };
  /** Something went wrong in the background: a rejoin refused, an event the server could not acknowledge. */
  error: ChatError;
}

export interface ChatClientOptions {
  /** The public entry, e.g. `https://chat.example`; '' for the page's own origin (a browser). */
  baseUrl: string;
  /** A token from an earlier login, if any. */
  token?: string;
  /** Messages read over REST when a room is first joined, so the feed starts from the room's latest. @default 50 */
  initialHistory?: number;
  /** How long an event waits for its acknowledgement before it counts as unanswered. @default 15000 */
  ackTimeoutMs?: number;
  /** socket.io-client's options (`transports`, `reconnectionDelayMax`, …). */
  socket?: Partial<ManagerOptions & SocketOptions>;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Makes a clientId for each send. @default crypto.randomUUID where there is one */
  newClientId?: () => string;
}

export interface SendOptions {
  /** The message's clientId; give your own to resend something across app restarts. */
  clientId?: string;
}

interface JoinedRoom {
  feed: RoomFeed;
  /** Joined on the current connection (sends of the room may go out). */
  live: boolean;
}

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
  private readonly rooms = new Map<string, JoinedRoom>();
  private readonly outbox = new Outbox();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private ended = false;
  private loggingOut = false;
  private readonly ackTimeoutMs: number;
  private readonly newClientId: () => string;

  constructor(private readonly options: ChatClientOptions) {
    super();
    this.tokenValue = options.token;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 15_000;
    this.newClientId = options.newClientId ?? randomId;
    this.rest = createRestClient({ baseUrl: options.baseUrl, token: () => this.tokenValue, ...(options.fetch ? { fetch: options.fetch } : {}) });
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
  get pendingSends(): readonly Pick<PendingSend, 'roomId' | 'content' | 'clientId' | 'attempts'>[] {
    return this.outbox.pending;
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

  /** Opens the connection; resolves once connected, rejects with `unauthorized` (log in again) or `network`. */
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
      const onError = (err: Error & { data?: { code?: string; message?: string } }): void => {
        // Refused by the server (bad token, or it is unavailable): socket.io-client will not retry by itself.
        if (err.data?.code || err.message === 'unauthorized' || err.message === 'unavailable') {
          done();
          reject(new ChatError(err.message === 'unavailable' ? 'unavailable' : 'unauthorized', err.data?.message ?? err.message));
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
   */
  async join(roomId: string): Promise<RoomJoinResult> {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { feed: new RoomFeed((message) => this.emit('message', message)), live: false };
      this.rooms.set(roomId, room);
      const initial = this.options.initialHistory ?? 50;
      if (initial > 0) {
        try {
          const page = await rest(() => this.rest.history({ params: { roomId }, query: { limit: Math.min(initial, 100) } }));
          for (const message of page.messages) room.feed.add(message);
          if (page.messages.length === 0) room.feed.startAfter(0);
        } catch (err) {
          this.rooms.delete(roomId);
          throw err;
        }
      }
    }
    try {
      return await this.joinOnSocket(roomId, room);
    } catch (err) {
      if (err instanceof ChatError && !err.retryable) this.rooms.delete(roomId);
      throw err;
    }
  }

  /** Stops delivery of a room to this client (membership stays; `rest.leaveRoom` ends it). */
  async leave(roomId: string): Promise<void> {
    this.rooms.delete(roomId);
    if (this.socket?.connected) await this.call('room:leave', { roomId });
  }

  /**
   * Sends a message (or a command) and resolves with its acknowledgement once the server
   * has stored it. Until then it is in `pendingSends` and goes out again, with the same
   * clientId, after a reconnect or an `unavailable`. Rejects with the server's error
   * otherwise: `rate_limited` carries `retryAfterMs`.
   */
  send(roomId: string, content: string, options: SendOptions = {}): Promise<MessageSendResult> {
    if (this.ended) return Promise.reject(new ChatError('closed', 'the client is closed'));
    return new Promise((resolve, reject) => {
      this.outbox.add({ roomId, content, clientId: options.clientId ?? this.newClientId(), resolve, reject });
      this.flush();
    });
  }

  /** Tells the room this user is typing (it lapses after 5 s unless sent again). */
  async typing(roomId: string, isTyping: boolean): Promise<void> {
    await this.call('typing', { roomId, isTyping });
  }

  /** Closes the connection and rejects every send still waiting. */
  close(): void {
    this.ended = true;
    clearTimeout(this.retryTimer);
    this.outbox.failAll(new ChatError('closed', 'the client was closed before the message was acknowledged'));
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = undefined;
    for (const room of this.rooms.values()) room.live = false;
    this.emit('connection', { state: 'disconnected' });
  }

  private signedIn(auth: AuthResponse): AuthResponse {
    this.tokenValue = auth.token;
    this.userValue = auth.user;
    return auth;
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
      for (const [roomId, room] of this.rooms) {
        this.joinOnSocket(roomId, room).catch((err: unknown) => this.emit('error', toChatError(err)));
      }
    });
    socket.on('disconnect', (reason) => {
      for (const room of this.rooms.values()) room.live = false;
      this.emit('connection', { state: reason === 'io server disconnect' || reason === 'io client disconnect' ? 'disconnected' : 'connecting' });
      // The server closed this socket without ending the session (not session:ended): connect again.
      if (reason === 'io server disconnect' && !this.ended) setTimeout(() => !this.ended && this.socket?.connect(), 1_000);
    });
    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (err.message === 'unauthorized') {
        this.end('expired');
        return;
      }
      // Refused while the server's dependencies are away: try again shortly (transport errors retry by themselves).
      if (err.message === 'unavailable' && !this.ended) setTimeout(() => !this.ended && this.socket?.connect(), 2_000);
    });
    socket.on('message', (message) => this.rooms.get(message.roomId)?.feed.add(message));
    socket.on('presence', (event) => this.emit('presence', event));
    socket.on('typing', (event) => this.emit('typing', event));
    socket.on('ai:delta', (event) => this.emit('ai:delta', event));
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

  private async joinOnSocket(roomId: string, room: JoinedRoom): Promise<RoomJoinResult> {
    const since = room.feed.contiguous;
    const result = await this.call('room:join', since === undefined ? { roomId } : { roomId, since });
    if (this.rooms.get(roomId) !== room) return result;
    for (const message of result.missed) room.feed.add(message);
    // `missed` holds at most 100: page the rest over REST while there is more.
    if (result.missed.length >= MISSED_MAX) {
      for (let after = room.feed.contiguous ?? 0; ; after = room.feed.contiguous ?? after) {
        const page = await rest(() => this.rest.history({ params: { roomId }, query: { after, limit: 100 } }));
        for (const message of page.messages) room.feed.add(message);
        if (!page.hasMore || page.messages.length === 0) break;
      }
    }
    room.live = true;
    this.emit('joined', { roomId, ...result });
    this.flush();
    return result;
  }

  /** Sends what may go out now: the rooms joined on the current connection. */
  private flush(): void {
    clearTimeout(this.retryTimer);
    if (!this.socket?.connected) return;
    const live = new Set([...this.rooms].filter(([, room]) => room.live).map(([roomId]) => roomId));
    const now = Date.now();
    for (const send of this.outbox.due(live, now)) void this.attempt(send);
    const next = this.outbox.nextDue(now);
    if (next !== undefined) this.retryTimer = setTimeout(() => this.flush(), next - now);
  }

  private async attempt(send: PendingSend): Promise<void> {
    send.inFlight = true;
    send.attempts += 1;
    try {
      const result = await this.call('message:send', { roomId: send.roomId, content: send.content, clientId: send.clientId });
      this.outbox.settle(send, { result });
    } catch (err) {
      const error = toChatError(err);
      send.inFlight = false;
      if (!error.retryable) {
        this.outbox.settle(send, { error });
        return;
      }
      // No answer (it goes out again on the next connect) or unavailable (again after a pause).
      if (error.code === 'unavailable') send.notBefore = Date.now() + retryDelayMs(send.attempts);
      this.flush();
    }
  }

  /** Emits an event and resolves with its ack's result; rejects with a ChatError (`network` when unanswered). */
  private async call<E extends keyof ClientToServerEvents>(event: E, payload: Parameters<ClientToServerEvents[E]>[0]): Promise<AckOf<E>> {
    const socket = this.socket;
    if (!socket?.connected) throw new ChatError('network', 'not connected');
    let ack: Ack<object>;
    try {
      // The event maps type each event's own payload; here one generic call serves them all.
      const timed = socket.timeout(this.ackTimeoutMs) as unknown as { emitWithAck(event: string, payload: unknown): Promise<unknown> };
      ack = (await timed.emitWithAck(event, payload)) as Ack<object>;
    } catch {
      throw new ChatError('network', `${event} was not answered in time`);
    }
    if (!ack.ok) throw new ChatError(ack.error.code, ack.error.message, ack.error.retryAfterMs);
    const { ok: _ok, ...result } = ack;
    return result as AckOf<E>;
  }
}

type AckOf<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[1] extends (response: infer R) => void
  ? WithoutOk<Extract<R, { ok: true }>>
  : never;

/** Omit<T, 'ok'> over each member of a union. */
type WithoutOk<T> = T extends unknown ? Omit<T, 'ok'> : never;

/** A REST call whose RestError becomes a ChatError. */
async function rest<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toChatError(err);
  }
}

function toChatError(err: unknown): ChatError {
  if (err instanceof ChatError) return err;
  if (err instanceof RestError) return new ChatError(err.code, err.message, err.retryAfterMs);
  return new ChatError('network', err instanceof Error ? err.message : String(err));
}

function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  // React Native without a crypto polyfill: a v4-shaped id; it only has to be unique per user and room.
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(Math.random() * 4)]}${hex(3)}-${hex(12)}`;
}
