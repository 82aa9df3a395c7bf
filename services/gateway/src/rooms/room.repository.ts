import { AppError, type Room, type User, type UserRef } from '@chat/contract';
import type { Knex } from '@mikro-orm/postgresql';

interface RoomRecord {
  id: string;
  name: string;
  description: string;
  owner_id: string;
  created_at: Date | string;
  member_count: number | string;
  is_member: boolean;
}

/** PostgreSQL reads the gateway needs; the schema is common's migrations. */
export class RoomRepository {
  constructor(private readonly knex: Knex) {}

  /** The room, if `userId` is a member; `not_found` / `forbidden` otherwise. */
  async roomForMember(roomId: string, userId: string): Promise<Room> {
    const { rows } = await this.knex.raw<{ rows: RoomRecord[] }>(
      `select r.id, r.name, r.description, r.owner_id, r.created_at,
         (select count(*) from memberships c where c.room_id = r.id) as member_count,
         exists (select 1 from memberships m where m.room_id = r.id and m.user_id = ?) as is_member
       from rooms r where r.id = ?`,
      [userId, roomId],
    );
    const row = rows[0];
    if (!row) throw AppError.notFound('room not found');
    if (!row.is_member) throw AppError.forbidden('join the room first (POST /api/rooms/:roomId/join)');
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      ownerId: row.owner_id,
      memberCount: Number(row.member_count),
      createdAt: (row.created_at instanceof Date ? row.created_at : new Date(row.created_at)).toISOString(),
    };
  }

  /** The (roomId, userId) pairs among `pairs` that are memberships, as `roomId|userId`. */
  async existingMemberships(pairs: { roomId: string; userId: string }[]): Promise<Set<string>> {
    if (pairs.length === 0) return new Set();
    const { rows } = await this.knex.raw<{ rows: { room_id: string; user_id: string }[] }>(
      `select m.room_id, m.user_id from memberships m
       join unnest(?::uuid[], ?::uuid[]) as k(room_id, user_id) on m.room_id = k.room_id and m.user_id = k.user_id`,
      [pairs.map((p) => p.roomId), pairs.map((p) => p.userId)],
    );
    return new Set(rows.map((r) => `${r.room_id}|${r.user_id}`));
  }

  /** Users as the contract's `user` (`room:join`'s `online`), by username. */
  async fullUsers(ids: string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.knex.raw<{ rows: { id: string; username: string; created_at: Date | string }[] }>(
      'select id, username, created_at from users where id = any(?::uuid[]) order by username',
      [ids],
    );
    return rows.map((r) => ({ id: r.id, username: r.username, createdAt: new Date(r.created_at).toISOString() }));
  }

  async users(ids: string[]): Promise<UserRef[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.knex.raw<{ rows: UserRef[] }>('select id, username from users where id = any(?::uuid[]) order by username', [ids]);
    return rows.map((r) => ({ id: r.id, username: r.username }));
  }
}
