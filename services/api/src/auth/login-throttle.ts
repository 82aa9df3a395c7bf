import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { Counter, type RedisClient, type Registry } from '@chat/runtime';
import { AppError } from '@chat/contract';

/** The window the contract names: failures count for 5 minutes. */
export const LOGIN_WINDOW_SECONDS = 5 * 60;

const REFUSALS = 'chat_rate_limit_refusals_total';

/** The API's share of `chat_rate_limit_refusals_total{kind}` (the gateways count messages and commands). */
function loginRefusals(registry: Registry): Counter<'kind'> {
  const existing = registry.getSingleMetric(REFUSALS);
  if (existing instanceof Counter) return existing as Counter<'kind'>;
  return new Counter({
    name: REFUSALS,
    help: 'Requests refused with rate_limited by a rate limit, by kind: login (failed logins per IP and per username)',
    labelNames: ['kind'],
    registers: [registry],
  });
}

export interface LoginAttempt {
  /** Call after a successful login: clears the username's count and returns the IP's point. */
  succeeded(): Promise<void>;
}

/**
 * Counts login attempts per IP and per username (case-insensitive) in Redis,
 * so the limit holds across API replicas. An attempt takes a point from both
 * before the password is checked (atomic, so concurrent guesses cannot slip
 * past the limit); a success gives them back. After `limit` failures within
 * the window every attempt, even with the right password, is refused with
 * `rate_limited` and the seconds until the window ends.
 */
export class LoginThrottle {
  private readonly byIp: RateLimiterRedis;
  private readonly byUsername: RateLimiterRedis;
  private readonly refusals: Counter<'kind'> | undefined;

  /** `registry`: where refused attempts are counted (`chat_rate_limit_refusals_total{kind="login"}`). */
  constructor(redis: RedisClient, limit: number, registry?: Registry) {
    const common = { storeClient: redis, points: limit, duration: LOGIN_WINDOW_SECONDS };
    this.byIp = new RateLimiterRedis({ ...common, keyPrefix: 'ratelimit:login:ip' });
    this.byUsername = new RateLimiterRedis({ ...common, keyPrefix: 'ratelimit:login:user' });
    this.refusals = registry ? loginRefusals(registry) : undefined;
  }

  /** Takes a point for this attempt or throws `rate_limited` (with Retry-After). */
  async begin(ip: string, username: string): Promise<LoginAttempt> {
    const userKey = username.toLowerCase();
    const [ipResult, userResult] = await Promise.allSettled([this.byIp.consume(ip), this.byUsername.consume(userKey)]);
    const refused = [ipResult, userResult].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (refused.length > 0) {
      const limits = refused.filter((r): r is RateLimiterRes => r instanceof RateLimiterRes);
      if (limits.length < refused.length) {
        // Redis failed: without a count the limit cannot be enforced, so no login either.
        throw new AppError('unavailable', 'login is unavailable right now', { cause: refused.find((r) => !(r instanceof RateLimiterRes)) });
      }
      // A refused attempt checks no password, so it must not count against the other key.
      if (ipResult.status === 'fulfilled') await this.byIp.reward(ip);
      if (userResult.status === 'fulfilled') await this.byUsername.reward(userKey);
      this.refusals?.inc({ kind: 'login' });
      const waitMs = Math.max(...limits.map((r) => r.msBeforeNext));
      throw AppError.rateLimited(waitMs, `too many failed login attempts; try again in ${Math.max(1, Math.ceil(waitMs / 1000))} s`);
    }
    return {
      succeeded: async () => {
        await Promise.all([this.byUsername.delete(userKey), this.byIp.reward(ip)]);
      },
    };
  }
}
