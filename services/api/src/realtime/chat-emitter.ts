import { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import type { ServerToClientEvents } from '@chat/contract';
import { redisKeys, safeError, type Logger } from '@chat/runtime';
import type { ChatEmitter } from '../context.js';

/**
 * An emitter on `redis` with the adapter's key. The emitter publishes without
 * awaiting the PUBLISH, so a Redis outage would surface as an unhandled
 * rejection and end the process; here a failed publish is logged instead.
 * What the API broadcasts is already committed (clients catch up with
 * `room:join` since), and a lost logout disconnect leaves sockets whose
 * token the gateways refuse from then on.
 */
export function createChatEmitter(redis: Redis, logger: Logger): ChatEmitter {
  const log = logger.child({ module: 'broadcast' });
  const publisher = {
    publish: (channel: string, message: string | Buffer): Promise<number> =>
      redis.publish(channel, message).catch((err: unknown) => {
        log.warn({ err: safeError(err), channel }, 'broadcast not published');
        return 0;
      }),
  };
  return new Emitter<ServerToClientEvents>(publisher, { key: redisKeys.adapterPrefix });
}
