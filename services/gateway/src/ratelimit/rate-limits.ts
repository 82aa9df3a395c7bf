import { AppError } from '@chat/contract';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export type SendKind = 'message' | 'command';

export interface SendLimits {
  /** Spends one of the user's chat messages this minute, or throws `rate_limited`. */
  message(userId: string): Promise<void>;
  /** Spends one of the user's commands this minute, or throws `rate_limited`. */
  command(userId: string): Promise<void>;
  /** Gives back a point spent on a send that turned out to repeat an earlier one (a retry after a lost ack). */
  refund(kind: SendKind, userId: string): Promise<void>;
}

export const isRateLimited = (err: unknown): err is AppError => err instanceof AppError && err.code === 'rate_limited';

/** Per-user budgets in Redis, so every replica draws on the same one. */
export function createSendLimits(redis: Redis, limits: { messagesPerMinute: number; commandsPerMinute: number }): SendLimits {
  const limiters: Record<SendKind, RateLimiterRedis> = {
    message: new RateLimiterRedis({ storeClient: redis, keyPrefix: 'ratelimit:messages', points: limits.messagesPerMinute, duration: 60 }),
    command: new RateLimiterRedis({ storeClient: redis, keyPrefix: 'ratelimit:commands', points: limits.commandsPerMinute, duration: 60 }),
  };
  const consume = async (kind: SendKind, userId: string, what: string, perMinute: number): Promise<void> => {
    try {
      await limiters[kind].consume(userId);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw AppError.rateLimited(retryAfter, `at most ${perMinute} ${what} a minute; retry in ${retryAfter} s`);
      }
      throw err;
    }
  };
  return {
    message: (userId) => consume('message', userId, 'messages', limits.messagesPerMinute),
    command: (userId) => consume('command', userId, 'commands', limits.commandsPerMinute),
    refund: async (kind, userId) => {
      await limiters[kind].reward(userId, 1);
    },
  };
}
