import { safeError, userRoom, type Logger, type RevocationReason } from '@chat/runtime';
import { clientEvents, type Ack } from '@chat/contract';
import { TokenExpiry } from '../auth/token-expiry.js';
import { endSession } from '../sessions/control.listener.js';
import { socketFields, type EventListenerEntry } from './ack.js';
import { releaseRequest } from './release-request.js';
import type { GatewaySocket } from './types.js';

export interface SocketSetup {
  /** `io.on('connection')`: what every new socket gets. */
  onConnection(socket: GatewaySocket): void;
  stop(): void;
}

/**
 * The connection path. Everything a socket holds is shared by all of them
 * (listeners read the socket from `this`, logs name it in fields, one timer
 * serves every token's expiry), so an idle socket costs little beyond
 * Socket.IO's own state.
 */
export interface SocketSetupDeps {
  /** Every client event's listener, shared by all sockets. */
  events: EventListenerEntry[];
  /** Whether a token was logged out or its account deleted since (the denylist). */
  recheck: (tokenId: string, userId: string) => Promise<RevocationReason | null>;
  /** A socket went away (it gives back its place under the user's socket cap). */
  onDisconnected: (socket: GatewaySocket) => void;
  logger: Logger;
}

export function socketSetup({ events, recheck, onDisconnected, logger }: SocketSetupDeps): SocketSetup {
  const log = logger.child({ module: 'socket' });
  const tokenExpiry = new TokenExpiry<GatewaySocket>((socket) => endSession(socket, 'expired'));

  function onDisconnect(this: GatewaySocket, reason: string): void {
    tokenExpiry.forget(this);
    onDisconnected(this);
    log.debug({ ...socketFields(this), reason }, 'socket disconnected');
  }
  function onUnknownEvent(this: GatewaySocket, event: string, ...args: unknown[]): void {
    if (Object.hasOwn(clientEvents, event)) return;
    const error = { code: 'validation' as const, message: `unknown event ${JSON.stringify(String(event).slice(0, 64))}` };
    const answer = args[args.length - 1];
    if (typeof answer === 'function') (answer as (response: Ack) => void)({ ok: false, error });
    else this.emit('error', { event: String(event).slice(0, 64), error });
  }

  return {
    onConnection(socket) {
      const { user, tokenId } = socket.data;
      releaseRequest(socket);
      // The user's room: a logout or a deletion finds their sockets here (control.listener.ts),
      // and their typing is not echoed to them.
      void socket.join(userRoom(user.id));
      tokenExpiry.watch(socket);
      // `on`, not `once`: 'disconnect' comes once anyway, and `once` wraps every socket's listener.
      socket.on('disconnect', onDisconnect);
      // A logout or deletion between the handshake's denylist check and the join above found no socket to end.
      recheck(tokenId, user.id).then(
        (refused) => refused && endSession(socket, refused),
        (err: unknown) => log.warn({ ...socketFields(socket), err: safeError(err) }, 'could not re-check the token'),
      );
      socket.onAny(onUnknownEvent);
      for (const { event, listener } of events) socket.on(event, listener as never);
      log.debug(socketFields(socket), 'socket connected');
    },
    stop: () => tokenExpiry.stop(),
  };
}
