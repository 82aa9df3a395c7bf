import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';

/** Why a token that verifies is refused anyway. */
export type RevocationReason = 'logged_out' | 'deleted';

/** The durable denylist (PostgreSQL), in epoch seconds; see the store's RevocationStore. */
export interface DurableRevocations {
  tokens: { tokenId: string; expiresAt: number }[];
  deletedUsers: { userId: string; deletedAt: number }[];
}

export interface RevocationsOptions {
  redis: RedisClient;
  /** Reads the durable copy, when Redis has lost its own (no `loaded` marker). */
  load: (deletedWithinSeconds: number) => Promise<DurableRevocations>;
  /** Longest a token lives, in seconds: a deleted account stays denied that long. */
  tokenTtlSeconds: number;
}

/**
 * The logout denylist and deleted accounts, as every request and handshake checks them: one
 * MGET in Redis, which caches the durable copy in PostgreSQL. Redis may lose its data (a
 * failover without AOF, a flush): its `loaded` marker goes with it, and the next check reloads
 * every revocation still in force from PostgreSQL first, so a logged-out token never works again.
 * Every key shares one hash slot ({auth}), so the MGET and the reload work on a Redis Cluster.
 */
export class Revocations {
  private reloading: Promise<void> | undefined;

  constructor(private readonly options: RevocationsOptions) {}

  /** Why this token of this user is refused, or null when it is good. Throws when Redis (or, reloading, PostgreSQL) cannot answer. */
  async check(tokenId: string, userId: string): Promise<RevocationReason | null> {
    const keys = [redisKeys.revocationsLoaded, redisKeys.revokedToken(tokenId), redisKeys.deletedUser(userId)] as const;
    let [loaded, revoked, deleted] = await this.options.redis.mget(...keys);
    if (loaded === null) {
      await this.reload();
      [, revoked, deleted] = await this.options.redis.mget(...keys);
    }
    if (deleted !== null) return 'deleted';
    if (revoked !== null) return 'logged_out';
    return null;
  }

  /** Caches a logout the caller has made durable; the key lives until the token would have expired anyway. */
  async revokeToken(tokenId: string, expiresAt: number): Promise<void> {
    await this.options.redis.set(redisKeys.revokedToken(tokenId), '1', 'EX', ttlUntil(expiresAt));
  }

  /** Caches an account deletion the caller has made durable: its every token is refused. */
  async deleteUser(userId: string): Promise<void> {
    await this.options.redis.set(redisKeys.deletedUser(userId), '1', 'EX', this.options.tokenTtlSeconds);
  }

  /** Loads the durable copy into Redis, once however many checks wait for it. */
  reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async load(): Promise<void> {
    const { redis, tokenTtlSeconds } = this.options;
    const durable = await this.options.load(tokenTtlSeconds);
    const now = Date.now() / 1000;
    const pipeline = redis.pipeline();
    for (const { tokenId, expiresAt } of durable.tokens) pipeline.set(redisKeys.revokedToken(tokenId), '1', 'EX', ttlUntil(expiresAt));
    for (const { userId, deletedAt } of durable.deletedUsers) {
      const left = Math.ceil(deletedAt + tokenTtlSeconds - now);
      if (left > 0) pipeline.set(redisKeys.deletedUser(userId), '1', 'EX', left);
    }
    // Last: a check that sees the marker finds everything above in place.
    pipeline.set(redisKeys.revocationsLoaded, String(Math.floor(now)));
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
  }
}

const ttlUntil = (expiresAt: number): number => Math.max(1, Math.ceil(expiresAt - Date.now() / 1000));
