export { ChatClient, type ChatClientEvents, type ChatClientOptions, type ChatSocket, type ConnectionState, type SendOptions } from './client.js';
export { ChatError } from './errors.js';
export { RoomFeed } from './room-feed.js';
export type {
  AiDeltaEvent,
  AuthResponse,
  Message,
  MessageSendResult,
  PresenceEvent,
  Room,
  RoomDetails,
  RoomJoinResult,
  SessionEndReason,
  TypingEvent,
  User,
  UserRef,
} from '@chat/contract';
