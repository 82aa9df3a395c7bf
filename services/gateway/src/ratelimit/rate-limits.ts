import { AppError } from '@chat/contract';
import { redisKeys, type RedisClient } from '@chat/runtime';

export type SendKind = 'messages' | 'commands';

/** `undefined`: the send may go; otherwise why not (`rate_limited`, with the wait). */
export type Verdict = AppError | undefined;

export interface SendLimits {
  /** Spends one chat message of each user's budget, in order (a user may appear more than once): one Redis call for a whole group commit. */
  messages(userIds: readonly string[]): Promise<Verdict[]>;
  /** Spends one of the user's commands this minute, or throws `rate_limited`. */
  command(userId: string): Promise<void>;
  /** Gives back a point spent on a send that turned out to repeat an earlier one (a retry after a lost ack). */
  refund(kind: SendKind, userId: string): Promise<void>;
}

export const isRateLimited = (err: unknown): err is AppError => err instanceof AppError && err.code === 'rate_limited';

const WINDOW_MS = 60_000;

/**
 * Spends a point of each key's budget in order (a key may repeat): a fixed window of
 * ARGV[2] ms from the first point, at most ARGV[1] points in it. Returns, per key, 0
 * when the point was spent, else the milliseconds until the window ends. A refused
 * send spends nothing.
 */
const SPEND = `
local limit = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n >= limit then
    out[i] = math.max(1, redis.call('PTTL', key))
  else
    if n == 0 then redis.call('SET', key, 1, 'PX', ARGV[2]) else redis.call('INCR', key) end
    out[i] = 0
  end
end
return out
`;

/** Gives a point back, never below zero. */
const REFUND = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return n
`;

interface LimitCommands {
  chatSpendSends(count: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
  chatRefundSend(key: string): Promise<number>;
}

export interface SendLimitOptions {
  messagesPerMinute: number;
  commandsPerMinute: number;
  /**
   * Called once for every send a budget refused (a metric). Reactions spend the messages budget, so
   * they count as `messages`; a retry refused at the limit counts even when its handler then answers
   * with the message an earlier attempt stored.
   */
  onRefused?: (kind: SendKind) => void;
}

/** Per-user budgets in Redis, so every replica draws on the same one. */
export function createSendLimits(redis: RedisClient, limits: SendLimitOptions): SendLimits {
  const client = redis as RedisClient & LimitCommands;
  if (typeof client.chatSpendSends !== 'function') {
    redis.defineCommand('chatSpendSends', { lua: SPEND });
    redis.defineCommand('chatRefundSend', { numberOfKeys: 1, lua: REFUND });
  }
  const perMinute: Record<SendKind, number> = { messages: limits.messagesPerMinute, commands: limits.commandsPerMinute };
  const spend = async (kind: SendKind, userIds: readonly string[]): Promise<Verdict[]> => {
    if (userIds.length === 0) return [];
    const keys = userIds.map((id) => redisKeys.rateLimit(kind, id));
    const waits = await client.chatSpendSends(keys.length, ...keys, perMinute[kind], WINDOW_MS);
    return waits.map((ms) => {
      if (ms === 0) return undefined;
      limits.onRefused?.(kind);
      return AppError.rateLimited(ms, `at most ${perMinute[kind]} ${kind} a minute; retry in ${Math.max(1, Math.ceil(ms / 1000))} s`);
    });
  };
  return {
    messages: (userIds) => spend('messages', userIds),
    async command(userId) {
      const [verdict] = await spend('commands', [userId]);
      if (verdict) throw verdict;
    },
    async refund(kind, userId) {
      await client.chatRefundSend(redisKeys.rateLimit(kind, userId));
    },
  };
}
