import { Redis, type RedisOptions } from 'ioredis';

export { Redis };

/** An ioredis client; `forWorker` sets what BullMQ workers need. */
export function createRedis(url: string, options: RedisOptions & { forWorker?: boolean } = {}): Redis {
  const { forWorker, ...rest } = options;
  return new Redis(url, {
    lazyConnect: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: forWorker ? null : 2,
    connectTimeout: 5_000,
    ...rest,
  });
}
