import { Redis, type RedisOptions } from 'ioredis';

export { Redis };

/** How long a command on a command connection may wait for its reply. */
export const REDIS_COMMAND_TIMEOUT_MS = 5_000;

export interface CreateRedisOptions extends RedisOptions {
  /** A BullMQ worker's connection: commands wait out outages, and its blocking commands have no timeout. */
  forWorker?: boolean;
  /**
   * A subscriber's connection (the Socket.IO adapter's): commands wait out
   * outages and SUBSCRIBE has no timeout.
   */
  forSubscriber?: boolean;
}

/**
 * An ioredis client. A command connection gives each command
 * `REDIS_COMMAND_TIMEOUT_MS` to answer ("Command timed out"), so a Redis that
 * hangs rather than refuses cannot hold a caller forever. Connections that must
 * wait (`forWorker`, `forSubscriber`, or an explicit `maxRetriesPerRequest: null`)
 * get none; explicit options win. Command connections do not auto-pipeline:
 * ioredis holds an auto-pipeline back until the one before it has all its
 * replies, and a command's timeout only starts once it is sent, so behind a
 * hung Redis each queued pipeline would wait one more timeout.
 */
export function createRedis(url: string, options: CreateRedisOptions = {}): Redis {
  const { forWorker, forSubscriber, ...rest } = options;
  const waits = forWorker === true || forSubscriber === true || rest.maxRetriesPerRequest === null;
  return new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: waits ? null : 2,
    connectTimeout: 5_000,
    ...(waits ? { enableAutoPipelining: true } : { enableAutoPipelining: false, commandTimeout: REDIS_COMMAND_TIMEOUT_MS }),
    ...rest,
  });
}
