import { z } from 'zod';
import { clientIdSchema, errorSchema, messageContentSchema, seqSchema, uuidSchema } from './primitives.js';
import type { Message, Room, UserRef } from './rest.js';

// ---- client → server payloads (every event also takes an ack callback) ----

export const roomJoinPayloadSchema = z.strictObject({
  roomId: uuidSchema,
  since: seqSchema.optional(),
});
export type RoomJoinPayload = z.infer<typeof roomJoinPayloadSchema>;

export const roomLeavePayloadSchema = z.strictObject({ roomId: uuidSchema });
export type RoomLeavePayload = z.infer<typeof roomLeavePayloadSchema>;

export const messageSendPayloadSchema = z.strictObject({
  roomId: uuidSchema,
  content: messageContentSchema,
  clientId: clientIdSchema,
});
export type MessageSendPayload = z.infer<typeof messageSendPayloadSchema>;

export const typingPayloadSchema = z.strictObject({
  roomId: uuidSchema,
  isTyping: z.boolean({ message: 'must be a boolean' }),
});
export type TypingPayload = z.infer<typeof typingPayloadSchema>;

/** Messages replayed by `room:join` with `since`; the client pages the rest over REST. */
export const MISSED_MAX = 100;

// ---- acknowledgements: a tagged union on `ok` ----

export type AckError = z.infer<typeof errorSchema>;
export type AckFailure = { ok: false; error: AckError };
export type Ack<T extends object = object> = ({ ok: true } & T) | AckFailure;
export type AckCallback<T extends object = object> = (response: Ack<T>) => void;

export interface RoomJoinResult {
  room: Room;
  online: UserRef[];
  missed: Message[];
}

export type CommandName = 'stock' | 'ai' | 'summary';

export type MessageSendResult =
  | { message: Message }
  | { command: CommandName; jobId: string }
  | { command: 'help'; text: string };

// ---- server → client payloads ----

export const presenceStatusSchema = z.enum(['online', 'offline']);
export interface PresenceEvent {
  roomId: string;
  user: UserRef;
  status: z.infer<typeof presenceStatusSchema>;
}

export interface TypingEvent {
  roomId: string;
  user: UserRef;
  isTyping: boolean;
}

export interface AiDeltaEvent {
  roomId: string;
  requestId: string;
  delta: string;
}

/** How long a `typing: true` lasts without renewal. */
export const TYPING_TTL_MS = 5_000;

// ---- the Socket.IO event maps (server and client take the same ones) ----

export interface ClientToServerEvents {
  'room:join': (payload: RoomJoinPayload, ack: AckCallback<RoomJoinResult>) => void;
  'room:leave': (payload: RoomLeavePayload, ack: AckCallback) => void;
  'message:send': (payload: MessageSendPayload, ack: AckCallback<MessageSendResult>) => void;
  typing: (payload: TypingPayload, ack: AckCallback) => void;
}

export interface ServerToClientEvents {
  message: (message: Message) => void;
  presence: (event: PresenceEvent) => void;
  typing: (event: TypingEvent) => void;
  'ai:delta': (event: AiDeltaEvent) => void;
}

/** Replica-to-replica messages through the adapter (`serverSideEmit`). */
export interface InterServerEvents {
  'presence:sweep': (replicaId: string) => void;
}

export interface SocketData {
  user: UserRef;
  /** The token's `jti`, so a logout can find the sockets that use it. */
  tokenId: string;
  /** The token's expiry, epoch seconds. */
  tokenExpiresAt: number;
}

/** Socket.IO room that holds every socket authenticated with one token. */
export const tokenRoom = (tokenId: string): string => `token:${tokenId}`;
/** Socket.IO room that holds every socket of one user. */
export const userRoom = (userId: string): string => `user:${userId}`;
/** Socket.IO room of a chat room's joined sockets. */
export const chatRoom = (roomId: string): string => `room:${roomId}`;
