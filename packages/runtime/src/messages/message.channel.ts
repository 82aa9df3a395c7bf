import type { Redis } from 'ioredis';
import { messageSchema, type Message } from '@chat/contract';
import { redisKeys } from '../redis/keys.js';

/**
 * Stored messages travel to the gateways on one Redis channel of their own rather
 * than as Socket.IO broadcasts: each gateway puts every room's messages back in
 * `seq` order before its sockets see them (messages committed on different
 * replicas can cross on the way), which a broadcast straight into the room
 * could not do.
 */
export interface MessageBroadcast {
  channel: string;
  payload: string;
}

export const encodeMessageBroadcast = (message: Message): MessageBroadcast => ({
  channel: redisKeys.messageChannel,
  payload: JSON.stringify(message),
});

/** Publishes a stored message to every gateway. */
export async function publishMessage(redis: Pick<Redis, 'publish'>, message: Message): Promise<void> {
  const { channel, payload } = encodeMessageBroadcast(message);
  await redis.publish(channel, payload);
}

/**
 * Subscribes `subscriber` (a connection in subscriber mode; it may carry other
 * subscriptions, such as the Socket.IO adapter's) to stored messages. A payload
 * that is not a message goes to `onInvalid` and nowhere else. Resolves once Redis
 * confirmed the subscription; the returned function unsubscribes.
 */
export async function subscribeToMessages(
  subscriber: Redis,
  onMessage: (message: Message) => void,
  onInvalid: (payload: string) => void = () => undefined,
): Promise<() => Promise<void>> {
  const channel = redisKeys.messageChannel;
  const listener = (from: string, payload: string): void => {
    if (from !== channel) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      onInvalid(payload);
      return;
    }
    const checked = messageSchema.safeParse(parsed);
    if (checked.success) onMessage(checked.data);
    else onInvalid(payload);
  };
  subscriber.on('message', listener);
  await subscriber.subscribe(channel);
  return async () => {
    subscriber.off('message', listener);
    await subscriber.unsubscribe(channel);
  };
}
