import { z } from 'zod';
import {
  isoTimeSchema,
  loginNameSchema,
  passwordSchema,
  roomDescriptionSchema,
  roomNameSchema,
  seqSchema,
  usernameSchema,
  uuidSchema,
} from './primitives.js';

export const userSchema = z.object({
  id: uuidSchema,
  username: z.string(),
  createdAt: isoTimeSchema,
});
export type User = z.infer<typeof userSchema>;

/** The sender name of a deleted account's messages. */
export const DELETED_USERNAME = 'deleted user';

/** A user as others see them in events and member lists. */
export const userRefSchema = z.object({ id: uuidSchema, username: z.string() });
export type UserRef = z.infer<typeof userRefSchema>;

export const credentialsBodySchema = z.strictObject({
  username: usernameSchema,
  password: passwordSchema,
});
export type CredentialsBody = z.infer<typeof credentialsBodySchema>;

/** Login accepts any string up to the limits, so a bad name is a 401, not a hint. */
export const loginBodySchema = z.strictObject({
  username: loginNameSchema,
  password: z.string({ message: 'must be a string' }).min(1, { message: 'must not be empty' }).max(128, { message: 'must be at most 128 characters' }),
});
export type LoginBody = z.infer<typeof loginBodySchema>;

export const authResponseSchema = z.object({ token: z.string(), user: userSchema });
export type AuthResponse = z.infer<typeof authResponseSchema>;

export const roleSchema = z.enum(['owner', 'member']);
export type Role = z.infer<typeof roleSchema>;

export const roomSchema = z.object({
  id: uuidSchema,
  name: z.string(),
  description: z.string(),
  ownerId: uuidSchema,
  memberCount: z.number().int(),
  createdAt: isoTimeSchema,
});
export type Room = z.infer<typeof roomSchema>;

export const roomMemberSchema = z.object({
  id: uuidSchema,
  username: z.string(),
  role: roleSchema,
  online: z.boolean(),
});
export type RoomMember = z.infer<typeof roomMemberSchema>;

export const roomDetailsSchema = roomSchema.extend({ members: z.array(roomMemberSchema) });
export type RoomDetails = z.infer<typeof roomDetailsSchema>;

export const createRoomBodySchema = z.strictObject({
  name: roomNameSchema,
  description: roomDescriptionSchema.optional(),
});
export type CreateRoomBody = z.infer<typeof createRoomBodySchema>;

/**
 * A room as the caller's room list shows it: whether they are a member and, for rooms they joined,
 * the room's last seq, their read cursor and how many `message` and `bot` messages after it were sent
 * by someone else.
 */
export const roomListItemSchema = roomSchema.extend({
  joined: z.boolean(),
  lastSeq: z.number().int().min(0).optional(),
  readSeq: z.number().int().min(0).optional(),
  unread: z.number().int().min(0).optional(),
});
export type RoomListItem = z.infer<typeof roomListItemSchema>;

export const roomListSchema = z.object({ rooms: z.array(roomListItemSchema) });
export type RoomList = z.infer<typeof roomListSchema>;

export const roomIdParamSchema = z.object({ roomId: uuidSchema });

export const messageTypeSchema = z.enum(['message', 'system', 'bot']);
export type MessageType = z.infer<typeof messageTypeSchema>;

export const botNameSchema = z.enum(['stock-bot', 'ai']);
export type BotName = z.infer<typeof botNameSchema>;

export const senderSchema = z.union([
  userRefSchema,
  z.object({ id: z.null(), username: botNameSchema }),
  z.null(),
]);
export type Sender = z.infer<typeof senderSchema>;

/** One emoji on a message: how many reacted with it, and whether the caller is among them. */
export const reactionSummarySchema = z.object({ emoji: z.string(), count: z.number().int().min(1), reacted: z.boolean() });
export type ReactionSummary = z.infer<typeof reactionSummarySchema>;

export const messageSchema = z.object({
  id: uuidSchema,
  roomId: uuidSchema,
  seq: z.number().int().min(1),
  type: messageTypeSchema,
  content: z.string(),
  sender: senderSchema,
  clientId: z.string().nullable(),
  timestamp: isoTimeSchema,
  /** In history pages and `room:join`'s `missed`, in order of first use; absent on live `message` events (a new message has none). */
  reactions: z.array(reactionSummarySchema).optional(),
});
export type Message = z.infer<typeof messageSchema>;

export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 100;

/**
 * A query parameter holding a whole number written in decimal digits only: `Number()`
 * alone would also take `0x10`, `1e1`, ` 7 ` and read an empty value as 0.
 */
const decimalParam = z
  .string({ message: 'must be a whole number' })
  .regex(/^\d+$/, { message: 'must be a whole number in decimal digits' })
  // seq is a bigint column; keep to what both sides hold exactly.
  .refine((v) => Number(v) <= Number.MAX_SAFE_INTEGER, { message: 'is too large' })
  .transform(Number);

const seqParam = decimalParam.pipe(seqSchema);

/** The query of GET /api/rooms/:roomId/messages, every value a string as it arrives. */
export const historyQuerySchema = z
  .strictObject({
    limit: decimalParam
      .pipe(
        z
          .number()
          .min(1, { message: 'must be at least 1' })
          .max(HISTORY_MAX_LIMIT, { message: `must be at most ${HISTORY_MAX_LIMIT}` }),
      )
      .default(HISTORY_DEFAULT_LIMIT),
    before: seqParam.optional(),
    after: seqParam.optional(),
  })
  .refine((q) => q.before === undefined || q.after === undefined, {
    message: 'give either before or after, not both',
    path: ['before'],
  });
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

export const historyResponseSchema = z.object({
  messages: z.array(messageSchema),
  /** Whether there are messages beyond this page in the direction paged: older without `after`, newer with it. */
  hasMore: z.boolean(),
});
export type HistoryResponse = z.infer<typeof historyResponseSchema>;

export const okResponseSchema = z.object({ ok: z.literal(true) });
