import { AppError, type Message, type UserRef } from '@chat/contract';
import { appendMessage, isUserGone, USER_GONE } from '@chat/store';
import type { Knex } from '../db/knex.js';

async function assertRoomExists(trx: Knex, roomId: string): Promise<{ ownerId: string }> {
  const row = await trx('rooms').select<{ owner_id: string }>('owner_id').where({ id: roomId }).first();
  if (!row) throw AppError.notFound('room not found');
  return { ownerId: row.owner_id };
}

/**
 * Adds `user` to the room. Only when that adds a membership does it store the
 * system message `<username> joined the room`, in the same transaction, and
 * return it for broadcasting; joining again changes nothing and returns null.
 * The room's owner who left and comes back is its owner again. A token whose
 * user no longer exists gets `unauthorized`.
 */
export async function joinRoom(knex: Knex, roomId: string, user: UserRef): Promise<Message | null> {
  try {
    return await insertMembership(knex, roomId, user);
  } catch (err) {
    if (isUserGone(err)) throw AppError.unauthorized(USER_GONE);
    throw err;
  }
}

async function insertMembership(knex: Knex, roomId: string, user: UserRef): Promise<Message | null> {
  return knex.transaction(async (trx) => {
    const { ownerId } = await assertRoomExists(trx, roomId);
    const { rows } = await trx.raw<{ rows: unknown[] }>(
      `insert into memberships (room_id, user_id, role) values (?, ?, ?)
       on conflict (room_id, user_id) do nothing returning user_id`,
      [roomId, user.id, ownerId === user.id ? 'owner' : 'member'],
    );
    if (rows.length === 0) return null;
    const { message } = await appendMessage(trx, { roomId, type: 'system', content: `${user.username} joined the room` });
    return message;
  });
}

/**
 * Removes `user` from the room; when a membership was removed, stores
 * `<username> left the room` in the same transaction and returns it. The
 * owner may leave too: the room stays, still naming them as its owner.
 */
export async function leaveRoom(knex: Knex, roomId: string, user: UserRef): Promise<Message | null> {
  return knex.transaction(async (trx) => {
    await assertRoomExists(trx, roomId);
    const removed = await trx('memberships').where({ room_id: roomId, user_id: user.id }).delete();
    if (removed === 0) return null;
    const { message } = await appendMessage(trx, { roomId, type: 'system', content: `${user.username} left the room` });
    return message;
  });
}
