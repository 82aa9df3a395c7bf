import { AppError, type Message, type Role, type Room, type UserRef } from '@chat/contract';
import { entityManager, type Knex } from '../context.js';
import { MembershipEntity, RoomEntity, UserEntity, type RoomRow } from '../entities.js';
import { appendMessage } from '../messages/message.store.js';
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
  /** Every room, oldest first. */
  list(): Promise<Room[]>;
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
  join(roomId: string, user: UserRef): Promise<Message | null>;
  /**
   * Removes `user` from the room; when a membership was removed, stores
   * `<username> left the room` in the same transaction and returns it. The
   * owner may leave too: the room stays, still naming them as its owner.
   */
  leave(roomId: string, user: UserRef): Promise<Message | null>;
  /** The room's last stored seq (0 for an empty room), or `not_found`. */
  lastSeq(roomId: string): Promise<number>;
}

const roomNotFound = (): AppError => AppError.notFound('room not found');

export function createRoomStore(orm: Orm): RoomStore {
  const knex = (): Knex => orm.em.getKnex();
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

    async list() {
      const rows = await entityManager(orm).find(RoomEntity, {}, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      return rows.map(toRoom);
    },

    find,
    get,

    async forMember(roomId, userId) {
      const [room, member] = await Promise.all([find(roomId), isMember(roomId, userId)]);
      if (!room) throw roomNotFound();
      if (!member) throw AppError.forbidden('join the room first (POST /api/rooms/:roomId/join)');
      return room;
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

    // Joins and leaves store a message, so they are the message path's SQL, in one transaction with it.
    async join(roomId, user) {
      try {
        return await knex().transaction(async (trx) => {
          const { ownerId } = await roomOwner(trx, roomId);
          const { rows } = await trx.raw<{ rows: unknown[] }>(
            `insert into memberships (room_id, user_id, role) values (?, ?, ?)
             on conflict (room_id, user_id) do nothing returning user_id`,
            [roomId, user.id, ownerId === user.id ? 'owner' : 'member'],
          );
          if (rows.length === 0) return null;
          return (await appendMessage(trx, { roomId, type: 'system', content: `${user.username} joined the room` })).message;
        });
      } catch (err) {
        if (isUserGone(err)) throw AppError.unauthorized(USER_GONE);
        throw err;
      }
    },

    async leave(roomId, user) {
      return knex().transaction(async (trx) => {
        await roomOwner(trx, roomId);
        const removed = await trx('memberships').where({ room_id: roomId, user_id: user.id }).delete();
        if (removed === 0) return null;
        return (await appendMessage(trx, { roomId, type: 'system', content: `${user.username} left the room` })).message;
      });
    },

    lastSeq: (roomId) => roomLastSeq(knex(), roomId),
  };
}

/** The room's owner, or `not_found`; the append that follows locks the room. */
async function roomOwner(trx: Knex, roomId: string): Promise<{ ownerId: string }> {
  const row = await trx('rooms').select<{ owner_id: string }>('owner_id').where({ id: roomId }).first();
  if (!row) throw roomNotFound();
  return { ownerId: row.owner_id };
}

/**
 * The room's last stored seq (`rooms.last_seq`, 0 for an empty room): where a
 * `/summary` ends, and where a gateway's live delivery of the room begins.
 */
export async function roomLastSeq(knex: Knex, roomId: string): Promise<number> {
  const { rows } = await knex.raw<{ rows: { last_seq: string | number }[] }>('select last_seq from rooms where id = ?', [roomId]);
  const row = rows[0];
  if (!row) throw roomNotFound();
  return Number(row.last_seq);
}
