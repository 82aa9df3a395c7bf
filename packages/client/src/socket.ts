import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import type { Ack, AckResult, ClientEventName, ClientPayload } from '@chat/contract';
import type { ChatSocket } from './client.js';
import { ChatError, refusalOf, type ConnectError } from './errors.js';

/** socket.io-client's options, as `openChatSocket` passes them on. */
export type ChatSocketOptions = Partial<ManagerOptions & SocketOptions>;

/**
 * The low level under `ChatClient`, for programs that hold many bare sockets and keep their
 * own state (a load generator, a bridge): one typed socket and one acknowledged event at a
 * time, without rejoins, ordering or an outbox. Whatever fails is a `ChatError`, as in
 * `ChatClient`: the contract's code, or `network` when there was no answer.
 *
 * Opens a connection of its own to `baseUrl` with `token` and resolves once the server has
 * accepted it. Unless `options` say otherwise it is WebSocket only, does not reconnect, and
 * shares no Engine.IO connection with other sockets (`forceNew`): socket.io-client would
 * otherwise multiplex every socket to one URL over a single connection. A refused handshake
 * rejects with the code the server gave (`unauthorized`, `rate_limited` with `retryAfterMs`,
 * `unavailable`), a transport failure with `network`; either way the socket is closed.
 */
export function openChatSocket(baseUrl: string, token: string, options: ChatSocketOptions = {}): Promise<ChatSocket> {
  const socket: ChatSocket = io(baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 20_000, ...options });
  return new Promise((resolve, reject) => {
    const done = (): void => {
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
    };
    const onConnect = (): void => {
      done();
      resolve(socket);
    };
    const onError = (err: ConnectError): void => {
      done();
      socket.close();
      reject(refusalOf(err) ?? new ChatError('network', `could not connect: ${err.message}`));
    };
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
}

/**
 * Emits a client event with its acknowledgement and resolves with what a successful ack
 * carries besides `ok` (`room:join`: `{room, online, missed}`; `message:send`: `{message}` or
 * a command's answer). A refusal rejects with a `ChatError` of its code (`rate_limited` with
 * `retryAfterMs`); no answer within `timeoutMs`, a dropped connection or a socket that is not
 * connected reject with `network` — a `message:send` may then be resent with the same clientId.
 */
export async function request<E extends ClientEventName>(socket: ChatSocket, event: E, payload: ClientPayload<E>, timeoutMs = 15_000): Promise<AckResult<E>> {
  // Emitted while disconnected, socket.io-client would buffer the event and send it on reconnect: say so at once instead.
  if (!socket.connected) throw new ChatError('network', `${event}: not connected`);
  let ack: Ack<AckResult<E>>;
  try {
    // The event maps type each event's own payload; one generic call serves them all here.
    const timed = socket.timeout(timeoutMs) as unknown as { emitWithAck(event: string, payload: unknown): Promise<Ack<AckResult<E>>> };
    ack = await timed.emitWithAck(event, payload);
  } catch (err) {
    throw new ChatError('network', `${event} was not answered: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!ack.ok) throw new ChatError(ack.error.code, ack.error.message, ack.error.retryAfterMs);
  const { ok: _ok, ...result } = ack;
  return result as AckResult<E>;
}
