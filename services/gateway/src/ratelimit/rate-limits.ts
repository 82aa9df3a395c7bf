import { AppError } from '@chat/common';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface SendLimits {
  /** Spends one of the user's chat messages this minute, or throws `rate_limited`. */
  message(userId: string): Promise<void>;
  /** Spends one of the user's commands this minute, or throws `rate_limited`. */
  command(userId: string): Promise<void>;
}

/** Per-user budgets in Redis, so every replica draws on the same one. */
export function createSendLimits(redis: Redis, limits: { messagesPerMinute: number; commandsPerMinute: number }): SendLimits {
  const messages = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'ratelimit:messages', points: limits.messagesPerMinute, duration: 60 });
  const commands = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'ratelimit:commands', points: limits.commandsPerMinute, duration: 60 });
  const consume = async (limiter: RateLimiterRedis, userId: string, what: string, perMinute: number): Promise<void> => {
    try {
      await limiter.consume(userId);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw AppError.rateLimited(retryAfter, `at most ${perMinute} ${what} a minute; retry in ${retryAfter} s`);
      }
      throw err;
    }
  };
  return {
    message: (userId) => consume(messages, userId, 'messages', limits.messagesPerMinute),
    command: (userId) => consume(commands, userId, 'commands', limits.commandsPerMinute),
  };
}
