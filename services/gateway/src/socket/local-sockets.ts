import { userRoom } from '@chat/runtime';
import type { GatewayServer, GatewaySocket } from './types.js';

/** This replica's sockets of a user, read off the adapter's local rooms. */
export function localSocketsOf(server: GatewayServer, userId: string): GatewaySocket[] {
  const ids = server.of('/').adapter.rooms.get(userRoom(userId));
  if (!ids) return [];
  const sockets = server.of('/').sockets;
  return [...ids].flatMap((id) => {
    const socket = sockets.get(id);
    return socket ? [socket] : [];
  });
}
