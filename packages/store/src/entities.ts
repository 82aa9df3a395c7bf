import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

// Table and column names match the migrations, which own the schema. Messages have no entity:
// their path (group commits, history pages, catch-up) is hand-written SQL in messages/.

export const UserEntity = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    /** As the user typed it; unique case-insensitively (index on lower(username)). */
    username: p.string().length(50),
    passwordHash: p.string().length(255).hidden().lazy(true, false),
    createdAt: p.datetime().onCreate(() => new Date()),
    /** Set when the account was deleted: the row stays for its messages' sender, named `deleted user`. */
    deletedAt: p.datetime().nullable(),
  },
});
export type UserRow = InferEntity<typeof UserEntity>;

/** A room's member count as SQL, for the room aliased `alias` (the entity's formula and hand-written reads). */
export const memberCountSql = (alias: string): string => `(select count(*)::int from memberships m where m.room_id = ${alias}.id)`;

export const RoomEntity = defineEntity({
  name: 'Room',
  tableName: 'rooms',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    /** Unique case-insensitively, whatever the database locale (index on lower(name collate "und-x-icu")). */
    name: p.string().length(64),
    description: p.string().length(500).default(''),
    owner: () => p.manyToOne(UserEntity),
    /** The highest `seq` stored in this room; the row lock on it serialises writers (messages/). */
    lastSeq: p.bigint('number').default(0),
    /** Read with the room, never written. */
    memberCount: p.integer().formula((alias) => memberCountSql(`${alias}`)),
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
    /** The member's read cursor: the highest seq they have read (written coalesced by the gateways; see reads/). */
    readSeq: p.bigint('number').default(0),
  },
});
export type MembershipRow = InferEntity<typeof MembershipEntity>;

export const entities = [UserEntity, RoomEntity, MembershipEntity];
