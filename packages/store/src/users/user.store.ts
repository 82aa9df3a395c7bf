import { AppError, DELETED_USERNAME, type User } from '@chat/contract';
import { raw } from '@mikro-orm/postgresql';
import { entityManager } from '../context.js';
import { UserEntity, type UserRow } from '../entities.js';
import type { MessageDb } from '../messages/message.db.js';
import type { Orm } from '../orm.js';
import { isUniqueViolation } from '../pg-errors.js';

export interface UserWithHash {
  user: User;
  passwordHash: string;
}

/** A `users` row as the contract's `user`. */
export const toUser = (row: Pick<UserRow, 'id' | 'username' | 'createdAt'>): User => ({
  id: row.id,
  username: row.username,
  createdAt: row.createdAt.toISOString(),
});

/** The columns `toUser` reads, named as it reads them. */
const USER_COLUMNS = 'id, username, created_at as "createdAt"';

export interface UserStore {
  /** Inserts a user; a name taken in any letter case is a `conflict` (the unique index decides races). */
  create(username: string, passwordHash: string): Promise<User>;
  /** By name in any letter case, with the password hash (login). */
  findByUsername(username: string): Promise<UserWithHash | undefined>;
  findById(id: string): Promise<User | undefined>;
  /** The users among `ids` that exist, by username. */
  findByIds(ids: readonly string[]): Promise<User[]>;
  /**
   * Deletes an account: the row stays with `deleted_at`, its name (free again) replaced by
   * `deleted user` for its messages' sender, its password hash cleared, its memberships gone.
   * False when there was no live account.
   */
  delete(id: string): Promise<boolean>;
}

export function createUserStore(orm: Orm, db: MessageDb): UserStore {
  return {
    async create(username, passwordHash) {
      const em = entityManager(orm);
      const row = em.create(UserEntity, { username, passwordHash });
      try {
        await em.flush();
      } catch (err) {
        if (isUniqueViolation(err, 'users_username_lower_unique')) throw AppError.conflict('username is already taken');
        throw err;
      }
      return toUser(row);
    },

    async findByUsername(username) {
      // The same expression as the unique index, so the index answers.
      const row = await entityManager(orm).findOne(
        UserEntity,
        { [raw('lower(username)')]: raw('lower(?)', [username]), deletedAt: null },
        { populate: ['passwordHash'] },
      );
      return row ? { user: toUser(row), passwordHash: row.passwordHash } : undefined;
    },

    // The handshake (an account still live) and every room:join (the room's online users) ask these:
    // prepared statements on the message path's pool, no entities.
    async findById(id) {
      const [row] = await db.query<Pick<UserRow, 'id' | 'username' | 'createdAt'>>('chat_user_by_id', `select ${USER_COLUMNS} from users where id = $1 and deleted_at is null`, [id]);
      return row ? toUser(row) : undefined;
    },

    async findByIds(ids) {
      if (ids.length === 0) return [];
      const rows = await db.query<Pick<UserRow, 'id' | 'username' | 'createdAt'>>(
        'chat_users_by_ids',
        `select ${USER_COLUMNS} from users where id = any($1::uuid[]) and deleted_at is null order by username`,
        [[...ids]],
      );
      return rows.map(toUser);
    },

    async delete(id) {
      // One statement, so a crash leaves the account either whole or deleted.
      const rows = await entityManager(orm)
        .getConnection()
        .execute<{ deleted: number }[]>(
          `with u as (
             update users set deleted_at = now(), username = ?, password_hash = '' where id = ? and deleted_at is null returning id
           ), m as (delete from memberships where user_id in (select id from u) returning 1)
           select (select count(*) from u)::int as deleted, (select count(*) from m)::int as memberships`,
          [DELETED_USERNAME, id],
        );
      return (rows[0]?.deleted ?? 0) > 0;
    },
  };
}
