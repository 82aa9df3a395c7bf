import { decodeControl, redisKeys, type ControlEvent, type Logger, type ShardedSubscriptions } from '@chat/runtime';
import type { SessionEndReason } from '@chat/contract';
import { localSocketsOf } from '../socket/local-sockets.js';
import type { GatewayServer, GatewaySocket } from '../socket/types.js';

/** Tells a socket why its session ends (so its client does not reconnect with that token), then closes it. */
export function endSession(socket: GatewaySocket, reason: SessionEndReason): void {
  socket.emit('session:ended', { reason });
  socket.disconnect(true);
}

/**
 * Acts on the API's control events on this replica's own sockets: ends a token's
 * sessions (logout) or a user's (account deleted), each told why first.
 */
export function controlListener(deps: {
  server: GatewayServer;
  subscriptions: ShardedSubscriptions;
  logger: Logger;
  /** An account was deleted (before its sockets here are ended). */
  onUserDeleted: (userId: string) => void;
}): { start(): Promise<void> } {
  const log = deps.logger.child({ module: 'control' });
  const act = (event: ControlEvent): void => {
    if (event.reason === 'deleted') deps.onUserDeleted(event.userId);
    const ended = localSocketsOf(deps.server, event.userId).filter((socket) => event.tokenId === undefined || socket.data.tokenId === event.tokenId);
    for (const socket of ended) endSession(socket, event.reason);
    if (ended.length > 0) log.debug({ userId: event.userId, reason: event.reason, sockets: ended.length }, 'sessions ended');
  };
  return {
    start: () =>
      deps.subscriptions.subscribe(redisKeys.controlChannel, (payload) => {
        const event = decodeControl(payload);
        if (event) act(event);
        else log.warn({ bytes: payload.length }, 'ignored a control payload that is not ours');
      }),
  };
}
