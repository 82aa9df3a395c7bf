import { z } from 'zod';
import { clientIdSchema, errorSchema, messageContentSchema, seqSchema, uuidSchema } from './primitives.js';
import { messageSchema, roomSchema, userRefSchema, userSchema, type Message } from './rest.js';

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

export const ackFailureSchema = z.object({ ok: z.literal(false), error: errorSchema });
export type AckError = z.infer<typeof errorSchema>;
export type AckFailure = z.infer<typeof ackFailureSchema>;

/** The ack of an event whose success carries `result`'s fields: `{ok: true, ...result} | {ok: false, error}`. */
export const ackSchema = <T extends z.ZodRawShape>(result: z.ZodObject<T>) =>
  z.discriminatedUnion('ok', [result.extend({ ok: z.literal(true) }), ackFailureSchema]);

export type Ack<T extends object = object> = ({ ok: true } & T) | AckFailure;
export type AckCallback<T extends object = object> = (response: Ack<T>) => void;

export const roomJoinResultSchema = z.object({
  room: roomSchema,
  /** The contract's `user` of everyone online in the room. */
  online: z.array(userSchema),
  missed: z.array(messageSchema),
});
export type RoomJoinResult = z.infer<typeof roomJoinResultSchema>;
export const roomJoinAckSchema = ackSchema(roomJoinResultSchema);

/** `room:leave` and `typing` succeed with `{ok: true}` and nothing else. */
export const emptyAckSchema = ackSchema(z.object({}));

export const commandNameSchema = z.enum(['stock', 'ai', 'summary']);
export type CommandName = z.infer<typeof commandNameSchema>;

export const messageSendResultSchema = z.union([
  z.object({ message: messageSchema }),
  z.object({ command: commandNameSchema, jobId: z.string() }),
  z.object({ command: z.literal('help'), text: z.string() }),
]);
export type MessageSendResult = z.infer<typeof messageSendResultSchema>;
export const messageSendAckSchema = z.union([
  ...messageSendResultSchema.options.map((result) => result.extend({ ok: z.literal(true) })),
  ackFailureSchema,
]);

// ---- server → client payloads ----

export const presenceStatusSchema = z.enum(['online', 'offline']);
export const presenceEventSchema = z.object({ roomId: uuidSchema, user: userRefSchema, status: presenceStatusSchema });
export type PresenceEvent = z.infer<typeof presenceEventSchema>;

export const typingEventSchema = z.object({ roomId: uuidSchema, user: userRefSchema, isTyping: z.boolean() });
export type TypingEvent = z.infer<typeof typingEventSchema>;

export const aiDeltaEventSchema = z.object({ roomId: uuidSchema, requestId: z.string(), delta: z.string() });
export type AiDeltaEvent = z.infer<typeof aiDeltaEventSchema>;

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

/** Each client event's ack, as the contract defines it (clients and tests check replies with these). */
export const ackSchemas = {
  'room:join': roomJoinAckSchema,
  'room:leave': emptyAckSchema,
  'message:send': messageSendAckSchema,
  typing: emptyAckSchema,
} satisfies Record<keyof ClientToServerEvents, z.ZodType>;

/** Each server event's payload, as the contract defines it. */
export const serverEventSchemas = {
  message: messageSchema,
  presence: presenceEventSchema,
  typing: typingEventSchema,
  'ai:delta': aiDeltaEventSchema,
} satisfies Record<keyof ServerToClientEvents, z.ZodType>;

/** Replica-to-replica messages through the adapter (`serverSideEmit`). */
export interface InterServerEvents {
  'presence:sweep': (replicaId: string) => void;
}

export const socketDataSchema = z.object({
  user: userRefSchema,
  /** The token's `jti`, so a logout can find the sockets that use it. */
  tokenId: z.string(),
  /** The token's expiry, epoch seconds. */
  tokenExpiresAt: z.number().int(),
});
export type SocketData = z.infer<typeof socketDataSchema>;

/** Socket.IO room that holds every socket authenticated with one token. */
export const tokenRoom = (tokenId: string): string => `token:${tokenId}`;
/** Socket.IO room that holds every socket of one user. */
export const userRoom = (userId: string): string => `user:${userId}`;
/** Socket.IO room of a chat room's joined sockets. */
export const chatRoom = (roomId: string): string => `room:${roomId}`;
