import type { Server, Socket } from 'socket.io';
import type {
  ClientToServerEvents,
  InterServerEvents,
  MessageSendResult,
  RoomJoinResult,
  ServerToClientEvents,
  SocketData,
} from '@chat/common/contract';

export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export type ClientEvent = keyof ClientToServerEvents;

/** What a successful ack of each event carries besides `ok: true` (see the event maps). */
export interface AckResults {
  'room:join': RoomJoinResult;
  'room:leave': Record<never, never>;
  'message:send': MessageSendResult;
  typing: Record<never, never>;
}

export type AckResult<E extends ClientEvent> = AckResults[E];

export const CLIENT_EVENTS: ReadonlySet<string> = new Set<ClientEvent>(['room:join', 'room:leave', 'message:send', 'typing']);
