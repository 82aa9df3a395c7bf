import { parseJsonOrUndefined, sessionEndReasonSchema } from '@chat/contract';
import { z } from 'zod';
import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';

/**
 * What the API asks of every gateway (rare, so every gateway reads them all): end the
 * sockets of a token (logout) or of a user (account deleted), each told why first.
 * (A REST leave goes on the room's own channel instead: message.channel.ts.)
 */
export const controlEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('end-sessions'),
    userId: z.string(),
    /** Only the sockets of this token; all of the user's without it. */
    tokenId: z.string().optional(),
    reason: sessionEndReasonSchema,
  }),
]);
export type ControlEvent = z.infer<typeof controlEventSchema>;

export async function publishControl(redis: Pick<RedisClient, 'spublish'>, event: ControlEvent): Promise<void> {
  await redis.spublish(redisKeys.controlChannel, JSON.stringify(event));
}

/** The event of a control payload, or undefined when it is not one. */
export function decodeControl(payload: string): ControlEvent | undefined {
  const parsed = controlEventSchema.safeParse(parseJsonOrUndefined(payload));
  return parsed.success ? parsed.data : undefined;
}
