import { randomUUID } from 'node:crypto';
import { AppError, type Role, type Room, type UserRef } from '@chat/contract';
import { toIsoTime, type Knex } from '../db/knex.js';
import { isUniqueViolation, isUserGone, USER_GONE } from '@chat/store';

interface RoomRecord {
  id: string;
  name: string;
  description: string;
  owner_id: string;
  member_count: string | number;
  created_at: Date | string;
}

export interface MemberRecord extends UserRef {
  role: Role;
}

const toRoom = (row: RoomRecord): Room => ({
  id: row.id,
  name: row.name,
  description: row.description,
  ownerId: row.owner_id,
  memberCount: Number(row.member_count),
  createdAt: toIsoTime(row.created_at),
});

const ROOM_COLUMNS = `r.id, r.name, r.description, r.owner_id, r.created_at,
  (select count(*) from memberships m where m.room_id = r.id) as member_count`;

/**
 * Creates a room with its creator as owner and first member, in one transaction.
 * A name taken in any letter case, in any script, is a `conflict`: the unique
 * index on `lower(name collate "und-x-icu")` decides (races included).
 */
export async function createRoom(knex: Knex, owner: UserRef, name: string, description: string): Promise<Room> {
  const id = randomUUID();
  try {
    await knex.transaction(async (trx) => {
      await trx('rooms').insert({ id, name, description, owner_id: owner.id });
      await trx('memberships').insert({ room_id: id, user_id: owner.id, role: 'owner' });
    });
  } catch (err) {
    if (isUniqueViolation(err, 'rooms_name_icu_lower_unique')) throw AppError.conflict('room name is already taken');
    if (isUserGone(err)) throw AppError.unauthorized(USER_GONE);
    throw err;
  }
  const room = await findRoom(knex, id);
  if (!room) throw new AppError('internal', 'room not stored');
  return room;
}

/** Every room, oldest first. */
export async function listRooms(knex: Knex): Promise<Room[]> {
  const { rows } = await knex.raw<{ rows: RoomRecord[] }>(`select ${ROOM_COLUMNS} from rooms r order by r.created_at, r.id`);
  return rows.map(toRoom);
}

export async function findRoom(knex: Knex, roomId: string): Promise<Room | undefined> {
  const { rows } = await knex.raw<{ rows: RoomRecord[] }>(`select ${ROOM_COLUMNS} from rooms r where r.id = ?`, [roomId]);
  return rows[0] ? toRoom(rows[0]) : undefined;
}

export async function findRoomOrThrow(knex: Knex, roomId: string): Promise<Room> {
  const room = await findRoom(knex, roomId);
  if (!room) throw AppError.notFound('room not found');
  return room;
}

/** Members in the order they joined. */
export async function listMembers(knex: Knex, roomId: string): Promise<MemberRecord[]> {
  const { rows } = await knex.raw<{ rows: MemberRecord[] }>(
    `select u.id, u.username, m.role from memberships m join users u on u.id = m.user_id
     where m.room_id = ? order by m.joined_at, u.username`,
    [roomId],
  );
  return rows;
}

export async function isMember(knex: Knex, roomId: string, userId: string): Promise<boolean> {
  const row = await knex('memberships').select('user_id').where({ room_id: roomId, user_id: userId }).first();
  return row !== undefined;
}
