import { z } from 'zod';
import { clientIdSchema, emojiSchema, errorSchema, messageContentSchema, seqSchema, uuidSchema } from './primitives.js';
import { messageSchema, roomSchema, userRefSchema, userSchema } from './rest.js';

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

export const roomReadPayloadSchema = z.strictObject({ roomId: uuidSchema, seq: seqSchema });
export type RoomReadPayload = z.infer<typeof roomReadPayloadSchema>;

export const reactionSetPayloadSchema = z.strictObject({
  roomId: uuidSchema,
  messageId: uuidSchema,
  emoji: emojiSchema,
  on: z.boolean({ message: 'must be a boolean' }),
});
export type ReactionSetPayload = z.infer<typeof reactionSetPayloadSchema>;

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

/** `room:leave` and `typing` succeed with `{ok: true}` and nothing else. */
export const emptyResultSchema = z.object({});

/** `room:read`: the caller's read cursor of the room after the call (it only moves forward). */
export const roomReadResultSchema = z.object({ readSeq: seqSchema });
export type RoomReadResult = z.infer<typeof roomReadResultSchema>;

/** `reaction:set`: how many reacted with the emoji on the message after the call. */
export const reactionSetResultSchema = z.object({ emoji: z.string(), count: z.number().int().min(0) });
export type ReactionSetResult = z.infer<typeof reactionSetResultSchema>;

export const commandNameSchema = z.enum(['stock', 'ai', 'summary']);
export type CommandName = z.infer<typeof commandNameSchema>;

export const messageSendResultSchema = z.union([
  z.object({ message: messageSchema }),
  z.object({ command: commandNameSchema, jobId: z.string() }),
  z.object({ command: z.literal('help'), text: z.string() }),
]);
export type MessageSendResult = z.infer<typeof messageSendResultSchema>;

// ---- server → client payloads ----

export const presenceStatusSchema = z.enum(['online', 'offline']);
export const presenceEventSchema = z.object({ roomId: uuidSchema, user: userRefSchema, status: presenceStatusSchema });
export type PresenceEvent = z.infer<typeof presenceEventSchema>;

export const typingEventSchema = z.object({ roomId: uuidSchema, user: userRefSchema, isTyping: z.boolean() });
export type TypingEvent = z.infer<typeof typingEventSchema>;

export const aiDeltaEventSchema = z.object({ roomId: uuidSchema, requestId: z.string(), delta: z.string() });
export type AiDeltaEvent = z.infer<typeof aiDeltaEventSchema>;

/** A user's read cursor moved with `room:read` on one of their sockets (sent to the others, on every replica). */
export const roomReadEventSchema = z.object({ roomId: uuidSchema, readSeq: seqSchema });
export type RoomReadEvent = z.infer<typeof roomReadEventSchema>;

/** A reaction was added or removed; `count` is the emoji's count on the message after it. */
export const reactionEventSchema = z.object({
  roomId: uuidSchema,
  messageId: uuidSchema,
  seq: z.number().int().min(1),
  emoji: z.string(),
  user: userRefSchema,
  on: z.boolean(),
  count: z.number().int().min(0),
});
export type ReactionEvent = z.infer<typeof reactionEventSchema>;

export const sessionEndReasonSchema = z.enum(['expired', 'logged_out', 'deleted']);
export type SessionEndReason = z.infer<typeof sessionEndReasonSchema>;
/** Sent before the server ends a socket for good: its token expired, was logged out, or its account was deleted. */
export const sessionEndedEventSchema = z.object({ reason: sessionEndReasonSchema });
export type SessionEndedEvent = z.infer<typeof sessionEndedEventSchema>;

/** The answer to an event the server could not acknowledge: sent without an ack callback, or unknown. It was not processed. */
export const eventErrorSchema = z.object({ event: z.string(), error: errorSchema });
export type EventError = z.infer<typeof eventErrorSchema>;

/** How long a `typing: true` lasts without renewal. */
export const TYPING_TTL_MS = 5_000;

// ---- the event tables: everything below is derived from them ----

type ResultSchema = z.ZodObject | z.ZodUnion<readonly z.ZodObject[]>;

/** Every client → server event: its payload and what its successful ack carries besides `ok: true`. */
export const clientEvents = {
  'room:join': { payload: roomJoinPayloadSchema, result: roomJoinResultSchema },
  'room:leave': { payload: roomLeavePayloadSchema, result: emptyResultSchema },
  'message:send': { payload: messageSendPayloadSchema, result: messageSendResultSchema },
  typing: { payload: typingPayloadSchema, result: emptyResultSchema },
  'room:read': { payload: roomReadPayloadSchema, result: roomReadResultSchema },
  'reaction:set': { payload: reactionSetPayloadSchema, result: reactionSetResultSchema },
} as const satisfies Record<string, { payload: z.ZodType; result: ResultSchema }>;

/** Every server → client event and its payload, as the contract defines it. */
export const serverEventSchemas = {
  message: messageSchema,
  presence: presenceEventSchema,
  typing: typingEventSchema,
  'ai:delta': aiDeltaEventSchema,
  'session:ended': sessionEndedEventSchema,
  'room:read': roomReadEventSchema,
  reaction: reactionEventSchema,
  error: eventErrorSchema,
} as const satisfies Record<string, z.ZodType>;

export type ClientEventName = keyof typeof clientEvents;
export type ServerEventName = keyof typeof serverEventSchemas;
export const clientEventNames = Object.keys(clientEvents) as ClientEventName[];

/** What a successful ack of `E` carries besides `ok: true`. */
export type AckResult<E extends ClientEventName> = z.output<(typeof clientEvents)[E]['result']>;
/** The payload a client sends with `E`. */
export type ClientPayload<E extends ClientEventName> = z.input<(typeof clientEvents)[E]['payload']>;

// ---- the Socket.IO event maps (server and client take the same ones) ----

export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: ClientPayload<E>, ack: AckCallback<AckResult<E>>) => void;
};

export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: z.output<(typeof serverEventSchemas)[E]>) => void;
};

/** The whole ack of a result schema: its success with `ok: true`, or a failure. */
function ackOf(result: ResultSchema): z.ZodType {
  const successes = result instanceof z.ZodUnion ? result.options : [result];
  return z.union([...successes.map((s) => s.extend({ ok: z.literal(true) })), ackFailureSchema]);
}

/** Each client event's ack, as the contract defines it (clients and tests check replies with these). */
export const ackSchemas = Object.fromEntries(Object.entries(clientEvents).map(([event, { result }]) => [event, ackOf(result)])) as {
  [E in ClientEventName]: z.ZodType<Ack<AckResult<E>>>;
};
