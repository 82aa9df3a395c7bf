import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';

/**
 * Presence lives in Redis, written by the gateways (see services/gateway/src/presence):
 * `presence:room:<roomId>` is a hash of userId → number of that user's sockets joined
 * to the room on any replica. A user is online in the room while their count is > 0.
 */
export async function onlineUserIds(redis: RedisClient, roomId: string): Promise<Set<string>> {
  const counts = await redis.hgetall(redisKeys.presenceRoom(roomId));
  return new Set(Object.entries(counts).filter(([, n]) => Number(n) > 0).map(([userId]) => userId));
}
