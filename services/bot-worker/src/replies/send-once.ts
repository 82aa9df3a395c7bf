import { redisKeys, type MessageBroadcast, type Redis } from '@chat/runtime';

/** Seven days: longer than BullMQ keeps a job (24 h completed, 7 days failed). */
export const SENT_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Sets the job's sent marker and publishes the stored reply in one atomic step:
 * the PUBLISH happens only if the marker was not there. KEYS[1] the marker,
 * ARGV[1] the message channel, ARGV[2] the message (JSON), ARGV[3] the marker's TTL.
 */
const SEND_ONCE_SCRIPT = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then
  redis.call('PUBLISH', ARGV[1], ARGV[2])
  return 1
end
return 0
`;

/** True when this call published; false when an earlier one had (the marker exists). */
export async function publishOnce(
  redis: Pick<Redis, 'eval'>,
  jobId: string,
  broadcast: MessageBroadcast,
  ttlSeconds: number = SENT_TTL_SECONDS,
): Promise<boolean> {
  const result = await redis.eval(SEND_ONCE_SCRIPT, 1, redisKeys.botReplySent(jobId), broadcast.channel, broadcast.payload, ttlSeconds);
  return result === 1;
}
