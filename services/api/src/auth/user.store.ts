import { randomUUID } from 'node:crypto';
import { toIsoTime, type Knex } from '../db/knex.js';
import { AppError, type User } from '@chat/contract';
import { isUniqueViolation } from '@chat/store';

interface UserRecord {
  id: string;
  username: string;
  password_hash: string;
  created_at: Date | string;
}

export interface UserWithHash {
  user: User;
  passwordHash: string;
}

const toUser = (row: Pick<UserRecord, 'id' | 'username' | 'created_at'>): User => ({
  id: row.id,
  username: row.username,
  createdAt: toIsoTime(row.created_at),
});

/** Inserts a user; a name taken in any letter case is a `conflict` (the unique index decides races). */
export async function createUser(knex: Knex, username: string, passwordHash: string): Promise<User> {
  try {
    const [row] = await knex<UserRecord>('users')
      .insert({ id: randomUUID(), username, password_hash: passwordHash })
      .returning(['id', 'username', 'created_at']);
    if (!row) throw new AppError('internal', 'user not stored');
    return toUser(row);
  } catch (err) {
    if (isUniqueViolation(err, 'users_username_lower_unique')) throw AppError.conflict('username is already taken');
    throw err;
  }
}

export async function findUserByUsername(knex: Knex, username: string): Promise<UserWithHash | undefined> {
  const row = await knex<UserRecord>('users')
    .select('id', 'username', 'password_hash', 'created_at')
    .whereRaw('lower(username) = lower(?)', [username])
    .first();
  return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined;
}

export async function findUserById(knex: Knex, id: string): Promise<User | undefined> {
  const row = await knex<UserRecord>('users').select('id', 'username', 'created_at').where({ id }).first();
  return row ? toUser(row) : undefined;
}
