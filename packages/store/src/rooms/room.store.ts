import { AppError, type Role, type Room, type UserRef } from '@chat/contract';
import { entityManager } from '../context.js';
import { MembershipEntity, memberCountSql, RoomEntity, UserEntity, type RoomRow } from '../entities.js';
import type { MessageDb } from '../messages/message.db.js';
import { findLastSeq } from '../messages/message.history.js';
import { storedMessage, type StoredMessage } from '../messages/message.store.js';
import type { Orm } from '../orm.js';
import { isUniqueViolation, isUserGone, USER_GONE } from '../pg-errors.js';

/** A `rooms` row as the contract's `room`. */
export const toRoom = (row: Pick<RoomRow, 'id' | 'name' | 'description' | 'owner' | 'memberCount' | 'createdAt'>): Room => ({
  id: row.id,
  name: row.name,
  description: row.description,
  ownerId: row.owner.id,
  memberCount: row.memberCount,
  createdAt: row.createdAt.toISOString(),
});

/** A member as a room's details list it (presence is added by the caller). */
export interface Member extends UserRef {
  role: Role;
}

export interface RoomStore {
  /**
   * Creates a room with its creator as owner and first member, in one transaction.
   * A name taken in any letter case, in any script, is a `conflict`: the unique
   * index on `lower(name collate "und-x-icu")` decides (races included).
   */
  create(owner: UserRef, name: string, description: string): Promise<Room>;
  find(roomId: string): Promise<Room | undefined>;
  /** The room, or `not_found`. */
  get(roomId: string): Promise<Room>;
  /** The room if `userId` is a member; `not_found` / `forbidden` otherwise. */
  forMember(roomId: string, userId: string): Promise<Room>;
  /** Members in the order they joined. */
  members(roomId: string): Promise<Member[]>;
  isMember(roomId: string, userId: string): Promise<boolean>;
  /**
   * Adds `user` to the room. Only when that adds a membership does it store the
   * system message `<username> joined the room`, in the same transaction, and
   * return it for broadcasting; joining again changes nothing and returns null.
   * The room's owner who left and comes back is its owner again.
   */
  join(roomId: string, user: UserRef): Promise<StoredMessage | null>;
  /**
   * Removes `user` from the room; when a membership was removed, stores
   * `<username> left the room` in the same transaction and returns it. The
   * owner may leave too: the room stays, still naming them as its owner.
   */
  leave(roomId: string, user: UserRef): Promise<StoredMessage | null>;
  /** The room's last stored seq (0 for an empty room), or `not_found`. */
  lastSeq(roomId: string): Promise<number>;
}

const roomNotFound = (): AppError => AppError.notFound('room not found');

interface RoomForMemberRow {
  id: string;
  name: string;
  description: string;
  owner_id: string;
  member_count: number;
  created_at: Date;
  member: boolean;
}

/** The room (its member count as RoomEntity's formula counts it) and whether the user is a member. */
const ROOM_FOR_MEMBER = `
  select r.id, r.name, r.description, r.owner_id, r.created_at,
         ${memberCountSql('r')} as member_count,
         exists (select 1 from memberships m where m.room_id = r.id and m.user_id = $2) as member
    from rooms r where r.id = $1`;

export function createRoomStore(orm: Orm, db: MessageDb): RoomStore {
  const find = async (roomId: string): Promise<Room | undefined> => {
    const row = await entityManager(orm).findOne(RoomEntity, { id: roomId });
    return row ? toRoom(row) : undefined;
  };
  const get = async (roomId: string): Promise<Room> => {
    const room = await find(roomId);
    if (!room) throw roomNotFound();
    return room;
  };
  const isMember = async (roomId: string, userId: string): Promise<boolean> =>
    (await entityManager(orm).count(MembershipEntity, { room: roomId, user: userId })) > 0;

  return {
    async create(owner, name, description) {
      const em = entityManager(orm);
      const room = em.create(RoomEntity, { name, description, owner: em.getReference(UserEntity, owner.id) });
      em.create(MembershipEntity, { room, user: em.getReference(UserEntity, owner.id), role: 'owner' });
      try {
        await em.flush();
      } catch (err) {
        if (isUniqueViolation(err, 'rooms_name_icu_lower_unique')) throw AppError.conflict('room name is already taken');
        if (isUserGone(err)) throw AppError.unauthorized(USER_GONE);
        throw err;
      }
      // Read back in a fork of its own: this one's identity map holds the room without its member count.
      return toRoom(await orm.em.fork().findOneOrFail(RoomEntity, { id: room.id }));
    },

    find,
    get,

    // Every socket's room:join asks it: one prepared statement on the message path's pool, no entities.
    async forMember(roomId, userId) {
      const [row] = await db.query<RoomForMemberRow>('chat_room_for_member', ROOM_FOR_MEMBER, [roomId, userId]);
      if (!row) throw roomNotFound();
      if (!row.member) throw AppError.forbidden('join the room first (POST /api/rooms/:roomId/join)');
      return { id: row.id, name: row.name, description: row.description, ownerId: row.owner_id, memberCount: row.member_count, createdAt: row.created_at.toISOString() };
    },

    async members(roomId) {
      const rows = await entityManager(orm).find(
        MembershipEntity,
        { room: roomId },
        { populate: ['user'], orderBy: [{ joinedAt: 'asc' }, { user: { username: 'asc' } }] },
      );
      return rows.map((m) => ({ id: m.user.id, username: m.user.username, role: m.role }));
    },

    isMember,

    // Joins and leaves store a message: one statement each on the message path (chat_join_room, chat_leave_room).
    async join(roomId, user) {
      try {
        return await membershipChange(db, 'join', roomId, user);
      } catch (err) {
        if (isUserGone(err)) throw AppError.unauthorized(USER_GONE);
        throw err;
      }
    },

    leave: (roomId, user) => membershipChange(db, 'leave', roomId, user),

    async lastSeq(roomId) {
      const seq = await findLastSeq(db, roomId);
      if (seq === undefined) throw roomNotFound();
      return seq;
    },
  };
}

async function membershipChange(db: MessageDb, change: 'join' | 'leave', roomId: string, user: UserRef): Promise<StoredMessage | null> {
  const [row] = await db.query<{ outcome: 'changed' | 'unchanged' | 'not_found'; message: string | null }>(
    `chat_${change}_room`,
    `select outcome, message from chat_${change}_room($1, $2, $3)`,
    [roomId, user.id, user.username],
  );
  if (!row || row.outcome === 'not_found') throw roomNotFound();
  return row.outcome === 'changed' && row.message ? storedMessage(row.message) : null;
}
