export {
  ChatClient,
  type ChatClientEvents,
  type ChatClientOptions,
  type ChatSocket,
  type ConnectionState,
  type RoomState,
  type SendEvent,
  type SendOptions,
} from './client.js';
export { newClientId } from './client-id.js';
export { ChatError } from './errors.js';
export type { SendState } from './outbox.js';
export type { RoomSyncEvent, RoomSyncOptions } from './room-sync.js';
export { RoomFeed } from './room-feed.js';
export { openChatSocket, request, type ChatSocketOptions } from './socket.js';
export type {
  AiDeltaEvent,
  AuthResponse,
  HistoryResponse,
  Message,
  MessageSendResult,
  PresenceEvent,
  ReactionEvent,
  ReactionSetResult,
  ReactionSummary,
  Room,
  RoomDetails,
  RoomJoinResult,
  RoomListItem,
  RoomReadEvent,
  SessionEndReason,
  TypingEvent,
  User,
  UserRef,
} from '@chat/contract';
