import { randomUUID } from 'node:crypto';
import { signToken } from '@chat/runtime';
import type { Orm } from '@chat/store';
import type { UserRef } from '@chat/contract';
import { TEST_JWT_SECRET } from '@chat/testkit';

let counter = 0;

/** A user row (no usable password: these users only hold tokens). */
export async function createUser(orm: Orm, prefix = 'user'): Promise<UserRef> {
  counter += 1;
  const user = { id: randomUUID(), username: `${prefix}_${counter}_${randomUUID().slice(0, 6)}` };
  await orm.em.getKnex().raw(`insert into users (id, username, password_hash) values (?, ?, 'x')`, [user.id, user.username]);
  return user;
}

/** A room owned by `owner` with `members` (the owner is one too). */
export async function createRoom(orm: Orm, owner: UserRef, members: UserRef[] = []): Promise<string> {
  const id = randomUUID();
  const knex = orm.em.getKnex();
  await knex.raw('insert into rooms (id, name, owner_id) values (?, ?, ?)', [id, `room-${id}`, owner.id]);
  await knex.raw(`insert into memberships (room_id, user_id, role) values (?, ?, 'owner')`, [id, owner.id]);
  for (const member of members) await addMember(orm, id, member);
  return id;
}

export async function addMember(orm: Orm, roomId: string, user: UserRef): Promise<void> {
  await orm.em.getKnex().raw(`insert into memberships (room_id, user_id, role) values (?, ?, 'member') on conflict do nothing`, [roomId, user.id]);
}

export const tokenFor = (user: UserRef, ttlSeconds = 3600, secret = TEST_JWT_SECRET): string => signToken(user, secret, ttlSeconds);
