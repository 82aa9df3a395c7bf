import { entityManager } from '../context.js';
import type { Orm } from '../orm.js';

/** What the logout denylist holds, in epoch seconds, as Redis caches it. */
export interface ActiveRevocations {
  /** Logged-out tokens that have not expired yet. */
  tokens: { tokenId: string; expiresAt: number }[];
  /** Accounts deleted recently enough that a token of theirs may still be unexpired. */
  deletedUsers: { userId: string; deletedAt: number }[];
}

/** The durable copy of the logout denylist (Redis caches it; see runtime's Revocations). */
export interface RevocationStore {
  /** Records a logged-out token until it would have expired (idempotent). */
  revoke(tokenId: string, userId: string, expiresAt: number): Promise<void>;
  /** Everything still in force; tokens deleted from here once expired. */
  active(deletedWithinSeconds: number): Promise<ActiveRevocations>;
}

export function createRevocationStore(orm: Orm): RevocationStore {
  const execute = <R extends object>(sql: string, params: unknown[]): Promise<R[]> => entityManager(orm).getConnection().execute<R[]>(sql, params);
  return {
    async revoke(tokenId, userId, expiresAt) {
      await execute(`insert into revoked_tokens (token_id, user_id, expires_at) values (?, ?, to_timestamp(?)) on conflict (token_id) do nothing`, [
        tokenId,
        userId,
        expiresAt,
      ]);
    },

    async active(deletedWithinSeconds) {
      await execute(`delete from revoked_tokens where expires_at <= now()`, []);
      const tokens = await execute<{ token_id: string; expires_at: number }>(
        `select token_id, extract(epoch from expires_at)::float8 as expires_at from revoked_tokens`,
        [],
      );
      const users = await execute<{ id: string; deleted_at: number }>(
        `select id, extract(epoch from deleted_at)::float8 as deleted_at from users where deleted_at > now() - make_interval(secs => ?)`,
        [deletedWithinSeconds],
      );
      return {
        tokens: tokens.map((t) => ({ tokenId: t.token_id, expiresAt: Number(t.expires_at) })),
        deletedUsers: users.map((u) => ({ userId: u.id, deletedAt: Number(u.deleted_at) })),
      };
    },
  };
}
