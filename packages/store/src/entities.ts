import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

// Table and column names match db/migrations; the schema is owned by the migrations.

export const UserEntity = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    /** As the user typed it; unique case-insensitively (index on lower(username)). */
    username: p.string().length(50),
    passwordHash: p.string().length(255).hidden().lazy(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type UserRow = InferEntity<typeof UserEntity>;

export const RoomEntity = defineEntity({
  name: 'Room',
  tableName: 'rooms',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    /** Unique case-insensitively, whatever the database locale (index on lower(name collate "und-x-icu")). */
    name: p.string().length(64),
    description: p.string().length(500).default(''),
    owner: () => p.manyToOne(UserEntity),
    /** The highest `seq` stored in this room; the row lock on it serialises writers. */
    lastSeq: p.bigint('number').default(0),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type RoomRow = InferEntity<typeof RoomEntity>;

export const MembershipEntity = defineEntity({
  name: 'Membership',
  tableName: 'memberships',
  properties: {
    room: () => p.manyToOne(RoomEntity).primary(),
    user: () => p.manyToOne(UserEntity).primary(),
    role: p.enum(['owner', 'member'] as const).default('member'),
    joinedAt: p.datetime().onCreate(() => new Date()),
  },
});
export type MembershipRow = InferEntity<typeof MembershipEntity>;

export const MessageEntity = defineEntity({
  name: 'Message',
  tableName: 'messages',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    room: () => p.manyToOne(RoomEntity),
    seq: p.bigint('number'),
    type: p.enum(['message', 'system', 'bot'] as const),
    content: p.text(),
    sender: () => p.manyToOne(UserEntity).nullable(),
    /** `stock-bot` or `ai` for bot messages. */
    botName: p.string().length(32).nullable(),
    /** Unique per (room, sender) among chat messages. */
    clientId: p.string().length(64).nullable(),
    /** The BullMQ job that produced a bot message; unique, so a retried job answers once. */
    jobId: p.string().length(128).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type MessageRow = InferEntity<typeof MessageEntity>;

export const entities = [UserEntity, RoomEntity, MembershipEntity, MessageEntity];
