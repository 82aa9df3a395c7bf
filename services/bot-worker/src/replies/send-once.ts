import { encodeRoomMessages, redisKeys, type RedisClient } from '@chat/runtime';

/** Seven days: longer than BullMQ keeps a job (24 h completed, 7 days failed). */
export const SENT_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Sets the job's sent marker and publishes the stored reply in one atomic step:
 * the SPUBLISH happens only if the marker was not there. KEYS[1] the marker,
 * ARGV[1] the room's channel, ARGV[2] the payload, ARGV[3] the marker's TTL. The
 * marker and the channel share the room's hash slot, so on a Redis Cluster both
 * live on the master that serves the room.
 */
const SEND_ONCE_SCRIPT = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then
  redis.call('SPUBLISH', ARGV[1], ARGV[2])
  return 1
end
return 0
`;

/** Publishes a stored reply (its JSON) to its room, unless this job's reply was published before. True when this call published. */
export async function publishOnce(
  redis: Pick<RedisClient, 'eval'>,
  reply: { roomId: string; jobId: string; json: string; origin: string },
  ttlSeconds: number = SENT_TTL_SECONDS,
): Promise<boolean> {
  const { channel, payload } = encodeRoomMessages(reply.origin, reply.roomId, [reply.json]);
  const result = await redis.eval(SEND_ONCE_SCRIPT, 1, redisKeys.botReplySent(reply.roomId, reply.jobId), channel, payload, ttlSeconds);
  return result === 1;
}
