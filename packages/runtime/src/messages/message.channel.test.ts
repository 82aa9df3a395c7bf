import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import type { Message } from '@chat/contract';
import { createRedis } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import { decodeMessageBroadcast, publishMessages, subscribeToMessages } from './message.channel.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const message = (seq = 1): Message => ({
  id: randomUUID(),
  roomId: randomUUID(),
  seq,
  type: 'bot',
  content: 'AAPL.US quote is $93.42 per share',
  sender: { id: null, username: 'stock-bot' },
  clientId: null,
  timestamp: new Date().toISOString(),
});

describe('the stored-messages channel', () => {
  it('carries published messages to a subscriber, skips its own, and hands anything else on it to onInvalid only', async () => {
    const publisher = createRedis(redis.url);
    const subscriber = createRedis(redis.url, { forSubscriber: true });
    const got: Message[][] = [];
    const invalid: string[] = [];
    const unsubscribe = await subscribeToMessages(subscriber, { self: 'gw1', onMessages: (m) => got.push(m), onInvalid: (p) => invalid.push(p) });
    try {
      await publisher.publish(redisKeys.messageChannel, 'not json {');
      await publisher.publish(redisKeys.messageChannel, `gw2 ${JSON.stringify([{ ...message(), seq: 'one' }])}`);
      await publisher.publish(redisKeys.messageChannel, `gw2 ${JSON.stringify(message())}`);
      await publisher.publish('another-channel', `gw2 ${JSON.stringify([message()])}`);
      await publishMessages(publisher, 'gw1', [JSON.stringify(message())]);
      const sent = [message(1), message(2)];
      await publishMessages(publisher, 'bot-worker', sent.map((m) => JSON.stringify(m)));
      await waitFor('the messages', async () => got.length === 1);
      expect(got).toEqual([sent]);
      expect(invalid).toEqual(['not json {', expect.stringContaining('"seq":"one"'), expect.stringMatching(/^gw2 \{/)]);
    } finally {
      await unsubscribe();
      publisher.disconnect();
      subscriber.disconnect();
    }
  });

  it('decodes the origin and the messages of a payload', () => {
    const m = message(7);
    expect(decodeMessageBroadcast(`api [${JSON.stringify(m)}]`)).toEqual({ origin: 'api', messages: [m] });
    expect(decodeMessageBroadcast(`[${JSON.stringify(m)}]`)).toBeUndefined();
    expect(decodeMessageBroadcast(`api [{"roomId":"r"}]`)).toBeUndefined();
  });
});
