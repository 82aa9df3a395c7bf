import type { Message } from '@chat/contract';
import type { Redis } from 'ioredis';
import { redisKeys } from '../redis/keys.js';

/**
 * Stored messages travel to the gateways on a Redis channel of their own rather
 * than as Socket.IO broadcasts: each gateway puts every room's messages back in
 * `seq` order before its sockets see them (messages committed on different
 * replicas can cross on the way), which a broadcast straight into the room
 * could not do.
 *
 * A payload is `<origin> [<message>,…]`: who published it (a gateway's replica id,
 * `api`, `bot-worker`), then the messages as JSON, exactly as PostgreSQL wrote them
 * (`chat_message_json`). A gateway skips what it published itself (it delivered
 * those already) without parsing them, and parses each other payload once.
 */
export interface MessageBroadcast {
  channel: string;
  payload: string;
}

export const encodeMessageBroadcast = (origin: string, jsons: readonly string[]): MessageBroadcast => ({
  channel: redisKeys.messageChannel,
  payload: `${origin} [${jsons.join(',')}]`,
});

/** Publishes stored messages (their JSON text) to every gateway. */
export async function publishMessages(redis: Pick<Redis, 'publish'>, origin: string, jsons: readonly string[]): Promise<void> {
  if (jsons.length === 0) return;
  const { channel, payload } = encodeMessageBroadcast(origin, jsons);
  await redis.publish(channel, payload);
}

const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' && value !== null && typeof (value as Message).roomId === 'string' && typeof (value as Message).seq === 'number';

/**
 * The messages of a payload, or undefined when it is not one of ours. Our own services
 * publish on this channel, so a message is only checked for what delivery reads
 * (`roomId`, `seq`), not parsed against the whole schema again.
 */
export function decodeMessageBroadcast(payload: string): { origin: string; messages: Message[] } | undefined {
  const space = payload.indexOf(' ');
  if (space <= 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.slice(space + 1));
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
  if (!Array.isArray(parsed) || !parsed.every(isMessage)) return undefined;
  return { origin: payload.slice(0, space), messages: parsed };
}

export interface MessageSubscription {
  /** This subscriber's own origin: its payloads are skipped. */
  self?: string;
  onMessages: (messages: Message[]) => void;
  /** A payload that is not messages; it goes nowhere else. */
  onInvalid?: (payload: string) => void;
}

/**
 * Subscribes `subscriber` (a connection in subscriber mode; it may carry other
 * subscriptions, such as the Socket.IO adapter's) to stored messages. Resolves once
 * Redis confirmed the subscription; the returned function unsubscribes.
 */
export async function subscribeToMessages(subscriber: Redis, subscription: MessageSubscription): Promise<() => Promise<void>> {
  const channel = redisKeys.messageChannel;
  const ownPrefix = subscription.self === undefined ? undefined : `${subscription.self} `;
  const listener = (from: string, payload: string): void => {
    if (from !== channel || (ownPrefix !== undefined && payload.startsWith(ownPrefix))) return;
    const decoded = decodeMessageBroadcast(payload);
    if (decoded) subscription.onMessages(decoded.messages);
    else subscription.onInvalid?.(payload);
  };
  subscriber.on('message', listener);
  await subscriber.subscribe(channel);
  return async () => {
    subscriber.off('message', listener);
    await subscriber.unsubscribe(channel);
  };
}
