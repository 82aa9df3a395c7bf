import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import type { Message } from '@chat/contract';
import { createRedis } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import { publishMessage, subscribeToMessages } from './message.channel.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const message = (): Message => ({
  id: randomUUID(),
  roomId: randomUUID(),
  seq: 1,
  type: 'bot',
  content: 'AAPL.US quote is $93.42 per share',
  sender: { id: null, username: 'stock-bot' },
  clientId: null,
  timestamp: new Date().toISOString(),
});

describe('the stored-messages channel', () => {
  it('carries a published message to a subscriber, and hands anything else on it to onInvalid only', async () => {
    const publisher = createRedis(redis.url);
    const subscriber = createRedis(redis.url, { forSubscriber: true });
    const got: Message[] = [];
    const invalid: string[] = [];
    const unsubscribe = await subscribeToMessages(subscriber, (m) => got.push(m), (p) => invalid.push(p));
    try {
      await publisher.publish(redisKeys.messageChannel, 'not json {');
      await publisher.publish(redisKeys.messageChannel, JSON.stringify({ ...message(), seq: 'one' }));
      await publisher.publish('another-channel', JSON.stringify(message()));
      const sent = message();
      await publishMessage(publisher, sent);
      await waitFor('the message', async () => got.length === 1);
      expect(got).toEqual([sent]);
      expect(invalid).toEqual(['not json {', expect.stringContaining('"seq":"one"')]);
    } finally {
      await unsubscribe();
      publisher.disconnect();
      subscriber.disconnect();
    }
  });
});
