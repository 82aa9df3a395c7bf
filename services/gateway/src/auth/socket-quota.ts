import { redisKeys, type RedisClient } from '@chat/runtime';

/**
 * Takes a place for a socket in its user's set, or says there is none: lapsed places (a replica
 * that died) go first, a place already held is kept, and the set lives as long as its last place.
 * KEYS[1] the user's sockets; ARGV: now, lapse-at (ms), socket id, cap. 1 taken, 0 full.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) - tonumber(ARGV[1]) then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return 1
`;

/**
 * Moves the lapse of a replica's sockets of one user forward, putting back any that Redis lost.
 * KEYS[1] the user's sockets; ARGV: lapse-at, socket ids…
 */
const RENEW = `
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i]) end
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1
`;

interface QuotaCommands {
  chatSocketAcquire(key: string, now: number, lapseAt: number, socketId: string, cap: number): Promise<number>;
  chatSocketRenew(key: string, lapseAt: number, ...socketIds: string[]): Promise<number>;
}

export interface SocketQuotaOptions {
  redis: RedisClient;
  /** Sockets one user may hold across every replica. */
  maxPerUser: number;
  /** How often this replica renews its sockets' places; a dead replica's lapse after three times this. @default 30000 */
  renewIntervalMs?: number;
}

/**
 * A cap on one user's sockets across the cluster: a sorted set per user in Redis of its sockets,
 * each scored by when its place lapses. A replica renews its own sockets' places on a timer, so
 * the places of a replica that died lapse by themselves, and a disconnect gives its place back.
 */
export class SocketQuota {
  private readonly redis: RedisClient & QuotaCommands;
  private readonly renewIntervalMs: number;
  /** userId → this replica's sockets of that user that hold a place. */
  private readonly held = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SocketQuotaOptions) {
    this.redis = options.redis as RedisClient & QuotaCommands;
    if (typeof this.redis.chatSocketAcquire !== 'function') {
      options.redis.defineCommand('chatSocketAcquire', { numberOfKeys: 1, lua: ACQUIRE });
      options.redis.defineCommand('chatSocketRenew', { numberOfKeys: 1, lua: RENEW });
    }
    this.renewIntervalMs = options.renewIntervalMs ?? 30_000;
  }

  get maxPerUser(): number {
    return this.options.maxPerUser;
  }

  /** Takes a place for `socketId`; false when the user already holds the most allowed. */
  async acquire(userId: string, socketId: string): Promise<boolean> {
    const now = Date.now();
    const taken = await this.redis.chatSocketAcquire(redisKeys.userSockets(userId), now, now + this.lapseMs, socketId, this.options.maxPerUser);
    if (taken !== 1) return false;
    let sockets = this.held.get(userId);
    if (!sockets) this.held.set(userId, (sockets = new Set()));
    sockets.add(socketId);
    return true;
  }

  /** Gives a disconnected socket's place back (best effort: it lapses anyway). */
  release(userId: string, socketId: string): Promise<unknown> {
    const sockets = this.held.get(userId);
    if (!sockets?.delete(socketId)) return Promise.resolve();
    if (sockets.size === 0) this.held.delete(userId);
    return this.redis.zrem(redisKeys.userSockets(userId), socketId);
  }

  /** Renews this replica's places on a timer until `stop()`. */
  start(): void {
    this.timer ??= setInterval(() => void this.renew().catch(() => undefined), this.renewIntervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One script call per user this replica holds sockets of. */
  async renew(): Promise<void> {
    const lapseAt = Date.now() + this.lapseMs;
    await Promise.all([...this.held].map(([userId, sockets]) => this.redis.chatSocketRenew(redisKeys.userSockets(userId), lapseAt, ...sockets)));
  }

  private get lapseMs(): number {
    return this.renewIntervalMs * 3;
  }
}
