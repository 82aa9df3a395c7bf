import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { ackSchemas, serverEventSchemas, type Ack, type AckResult, type ClientToServerEvents, type Message, type PresenceEvent, type ServerToClientEvents, type TypingEvent } from '@chat/contract';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectOptions = Partial<ManagerOptions & SocketOptions>;
export type ClientEvent = keyof ClientToServerEvents;

/** A socket.io-client socket (not yet connected): WebSocket only, no reconnection, unless told otherwise. */
export function openSocket(url: string, token: string | undefined, options: ConnectOptions = {}): ChatSocket {
  return io(url, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
    ...options,
  });
}

/** Resolves once the socket is connected; rejects with its connect_error. */
export function connected(socket: ChatSocket, timeoutMs = 10_000): Promise<ChatSocket> {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('connect timed out')), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      socket.off('connect', ok);
      socket.off('connect_error', fail);
    };
    const ok = (): void => {
      done();
      resolve(socket);
    };
    const fail = (err: Error): void => {
      done();
      reject(err);
    };
    socket.on('connect', ok);
    socket.on('connect_error', fail);
  });
}

export const connect = (url: string, token: string, options: ConnectOptions = {}): Promise<ChatSocket> =>
  connected(openSocket(url, token, options));

/** The connect_error of a handshake that must fail (the socket is closed afterwards). */
export async function connectError(url: string, token: string | undefined, options: ConnectOptions = {}): Promise<Error & { data?: unknown }> {
  const socket = openSocket(url, token, options);
  try {
    await connected(socket);
  } catch (err) {
    return err as Error & { data?: unknown };
  } finally {
    socket.close();
  }
  throw new Error('the handshake succeeded but should have failed');
}

/** Checks a reply against the contract's schema; a shape the contract does not allow fails the test. */
interface Schema {
  safeParse(value: unknown): { success: true } | { success: false; error: Error };
}

function conforming<T>(schema: Schema, what: string, value: unknown): T {
  const checked = schema.safeParse(value);
  if (!checked.success) throw new Error(`${what} breaks the contract: ${checked.error.message}\n${JSON.stringify(value)}`);
  return value as T;
}

/** Emits a contract event and waits for its ack, which must have the contract's shape. */
export async function call<E extends ClientEvent>(
  socket: ChatSocket,
  event: E,
  payload: Parameters<ClientToServerEvents[E]>[0],
  timeoutMs = 10_000,
): Promise<Ack<AckResult<E>>> {
  const raw = socket as unknown as Socket;
  const ack: unknown = await raw.timeout(timeoutMs).emitWithAck(event, payload);
  return conforming(ackSchemas[event], `the ${event} ack`, ack);
}

/** Emits anything (for bad input) and waits for an ack. */
export function rawCall(socket: ChatSocket, event: string, ...args: unknown[]): Promise<Ack> {
  const raw = socket as unknown as Socket;
  return raw.timeout(10_000).emitWithAck(event, ...args) as Promise<Ack>;
}

/** The success part of an ack, or an error naming the refusal. */
export function ok<T extends object>(ack: Ack<T>): { ok: true } & T {
  if (!ack.ok) throw new Error(`expected ok, got ${ack.error.code}: ${ack.error.message}`);
  return ack;
}

/** The replica that owns the socket's Engine.IO session (`<replicaId>.<random>`). */
export function replicaOf(socket: ChatSocket): string {
  const id = socket.io.engine?.id ?? '';
  return id.slice(0, id.indexOf('.'));
}

/** Records what the server sends a socket and waits for it. */
export class Inbox {
  readonly messages: Message[] = [];
  readonly presence: PresenceEvent[] = [];
  readonly typing: TypingEvent[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(readonly socket: ChatSocket) {
    socket.on('message', (m) => this.push(this.messages, conforming(serverEventSchemas.message, 'a message event', m)));
    socket.on('presence', (p) => this.push(this.presence, conforming(serverEventSchemas.presence, 'a presence event', p)));
    socket.on('typing', (t) => this.push(this.typing, conforming(serverEventSchemas.typing, 'a typing event', t)));
  }

  /** Waits until `check` holds for what arrived so far. */
  waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  messagesIn(roomId: string): Message[] {
    return this.messages.filter((m) => m.roomId === roomId);
  }

  private push<T>(list: T[], item: T): void {
    list.push(item);
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Resolves when the socket disconnects, with the reason. */
export function disconnection(socket: ChatSocket, timeoutMs = 10_000): Promise<string> {
  if (socket.disconnected && !socket.active) return Promise.resolve('already disconnected');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no disconnect')), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

export const closeAll = (sockets: Iterable<ChatSocket>): void => {
  for (const socket of sockets) socket.close();
};
