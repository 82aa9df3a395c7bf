import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents, UserRef } from '@chat/contract';

/** Replicas talk through Redis keys and the message channel, not `serverSideEmit`. */
export type InterServerEvents = Record<never, never>;

/** What the handshake stores on every socket. */
export interface SocketData {
  user: UserRef;
  /** The token's `jti`, so a logout can find the sockets that use it. */
  tokenId: string;
  /** The token's expiry, epoch seconds. */
  tokenExpiresAt: number;
}

export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export type ClientEvent = keyof ClientToServerEvents;
