import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, startRedisCluster, waitFor, type RedisCluster, type RedisServer } from '@chat/testkit';
import { MessageText, type Message } from '@chat/contract';
import { createRedis, createSubscriber, type RedisTarget } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';
import { decodeControl, publishControl } from './control.channel.js';
import { decodeRoomPayload, encodeRoomDelta, encodeRoomLeave, encodeRoomMessages, publishMessages, publishRoomLeave, type RoomEvent } from './message.channel.js';
import { ShardedSubscriptions } from './subscriptions.js';

let redis: RedisServer;
let cluster: RedisCluster;
beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster({ masters: 3 })]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

const message = (roomId: string, seq = 1): Message => ({
  id: randomUUID(),
  roomId,
  seq,
  type: 'bot',
  content: 'AAPL.US quote is $93.42 per share',
  sender: { id: null, username: 'stock-bot' },
  clientId: null,
  timestamp: new Date().toISOString(),
});
const stored = (m: Message): MessageText => MessageText.fromMessage(m);

describe.each([
  ['a single Redis', (): RedisTarget => ({ url: redis.url })],
  ['a three-master Redis Cluster', (): RedisTarget => ({ url: cluster.url, clusterNodes: cluster.clusterNodes })],
])('the room and control channels on %s', (_, target) => {
  it("carries each room's messages, deltas and leaves only to its channel's readers, one payload per room, and the control events to all", async () => {
    const publisher = createRedis(target());
    const subscriber = createSubscriber(target());
    const channels = new ShardedSubscriptions(subscriber);
    // Enough rooms that, on a cluster, their channels land on every master.
    const rooms = Array.from({ length: 12 }, () => randomUUID());
    const unread = randomUUID();
    const got = new Map<string, RoomEvent[]>(rooms.map((r) => [r, []]));
    const controls: unknown[] = [];
    try {
      for (const roomId of rooms) {
        await channels.subscribe(redisKeys.roomChannel(roomId), (payload) => {
          const decoded = decodeRoomPayload(payload);
          if (decoded) got.get(roomId)!.push(decoded.event);
        });
      }
      await channels.subscribe(redisKeys.controlChannel, (payload) => controls.push(decodeControl(payload)));
      expect(channels.size).toBe(rooms.length + 1);

      const sent = rooms.flatMap((roomId) => [stored(message(roomId, 1)), stored(message(roomId, 2))]);
      await publishMessages(publisher, 'gw1', [...sent, stored(message(unread))]);
      for (const roomId of rooms) {
        const delta = encodeRoomDelta('bot-worker', { roomId, requestId: 'r1', delta: 'Hel' });
        await publisher.spublish(delta.channel, delta.payload);
        await publishRoomLeave(publisher, 'api', { roomId, userId: 'u1' });
      }
      await publishControl(publisher, { kind: 'end-sessions', userId: 'u1', tokenId: 't1', reason: 'logged_out' });
      await waitFor('every event', () => [...got.values()].every((events) => events.length === 3) && controls.length === 1);
      for (const roomId of rooms) {
        expect(got.get(roomId)).toEqual([
          { kind: 'messages', messages: sent.filter((s) => s.roomId === roomId) },
          { kind: 'delta', delta: { roomId, requestId: 'r1', delta: 'Hel' } },
          { kind: 'leave', leave: { roomId, userId: 'u1' } },
        ]);
      }
      expect(controls).toEqual([{ kind: 'end-sessions', userId: 'u1', tokenId: 't1', reason: 'logged_out' }]);

      // Unsubscribed: nothing more arrives for that room, the others still get theirs.
      const [left, kept] = rooms as [string, string];
      await channels.unsubscribe(redisKeys.roomChannel(left));
      await publishMessages(publisher, 'gw1', [stored(message(left, 3)), stored(message(kept, 3))]);
      await waitFor('the kept room', () => got.get(kept)!.length === 4);
      expect(got.get(left)).toHaveLength(3);
    } finally {
      await channels.close();
      publisher.disconnect();
      subscriber.disconnect();
    }
  });
});

describe('room payloads', () => {
  const roomId = randomUUID();
  it('decode to their origin and event', () => {
    const m = message(roomId, 7);
    const decoded = decodeRoomPayload(encodeRoomMessages('api', roomId, [JSON.stringify(m)]).payload);
    expect(decoded).toEqual({ origin: 'api', event: { kind: 'messages', messages: [{ json: JSON.stringify(m), roomId, seq: 7 }] } });
    expect(decoded?.event.kind === 'messages' && decoded.event.messages[0]!.message).toEqual(m);
    expect(decodeRoomPayload(encodeRoomLeave('api', { roomId, userId: 'u' }).payload)).toEqual({ origin: 'api', event: { kind: 'leave', leave: { roomId, userId: 'u' } } });
    const delta = { roomId, requestId: 'q', delta: ' world' };
    expect(decodeRoomPayload(encodeRoomDelta('bot-worker', delta).payload)).toEqual({ origin: 'bot-worker', event: { kind: 'delta', delta } });
  });

  it.each([
    ['no origin or kind', `[${JSON.stringify(message(roomId))}]`],
    ['no kind', `api [${JSON.stringify(message(roomId))}]`],
    ['not JSON', 'api messages [{'],
    ['an unknown kind', `api reactions [${JSON.stringify(message(roomId))}]`],
    ['a message without its seq', `api messages [{"roomId":"${roomId}"}]`],
    ['messages that are not a list', `api messages ${JSON.stringify(message(roomId))}`],
    ['a delta without its text', `api delta {"roomId":"${roomId}"}`],
    ['a leave without its user', `api leave {"roomId":"${roomId}"}`],
  ])('are refused when they carry %s', (_, payload) => {
    expect(decodeRoomPayload(payload)).toBeUndefined();
  });

  it('control payloads are checked against their schema', () => {
    expect(decodeControl('{')).toBeUndefined();
    expect(decodeControl('{"kind":"end-sessions","userId":"u","reason":"bored"}')).toBeUndefined();
    expect(decodeControl('{"kind":"reboot"}')).toBeUndefined();
    expect(decodeControl('{"kind":"end-sessions","userId":"u","reason":"deleted"}')).toEqual({ kind: 'end-sessions', userId: 'u', reason: 'deleted' });
  });
});

describe('ShardedSubscriptions.onReconnected', () => {
  it('tells its listener, once subscribed again, each time the connection to a single Redis came back', async () => {
    const own = await startRedis();
    const subscriber = createSubscriber(own.url);
    const publisher = createRedis(own.url);
    const channels = new ShardedSubscriptions(subscriber);
    const got: string[] = [];
    let reconnected = 0;
    try {
      await channels.subscribe('chat:room:{x}', (payload) => got.push(payload));
      channels.onReconnected(() => {
        reconnected += 1;
      });
      await publisher.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await waitFor('the reconnection', () => reconnected === 1);
      // Subscribed again by then.
      await publisher.spublish('chat:room:{x}', 'after');
      await waitFor('the payload', () => got.includes('after'));
    } finally {
      await channels.close();
      subscriber.disconnect();
      publisher.disconnect();
      await own.stop();
    }
  });
});

describe('ClusterSubscriber', () => {
  it("follows a master's failover: its channels are subscribed again on the promoted replica, and the reader is told", async () => {
    const failing = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    const target = { url: failing.url, clusterNodes: failing.clusterNodes };
    const subscriber = createSubscriber(target);
    subscriber.on('error', () => undefined);
    const publisher = createRedis(target);
    publisher.on('error', () => undefined);
    const channels = new ShardedSubscriptions(subscriber);
    const rooms = Array.from({ length: 12 }, () => randomUUID());
    const got = new Set<string>();
    let resubscribed = 0;
    try {
      for (const roomId of rooms) await channels.subscribe(redisKeys.roomChannel(roomId), (payload) => got.add(payload));
      channels.onReconnected(() => {
        resubscribed += 1;
      });
      const doomed = await failing.masterFor(redisKeys.roomChannel(rooms[0]!));
      const onDoomed = [];
      for (const roomId of rooms) if ((await failing.masterFor(redisKeys.roomChannel(roomId))) === doomed) onDoomed.push(roomId);
      doomed.process.kill('SIGKILL');
      await failing.waitHealthy();
      await waitFor('the reader to be told', () => resubscribed > 0, 20_000);
      // Subscribed again by then: what is published now arrives, on every master's channels.
      for (const roomId of rooms) await publisher.spublish(redisKeys.roomChannel(roomId), `after ${roomId}`);
      await waitFor('every payload', () => rooms.every((roomId) => got.has(`after ${roomId}`)));
      expect(onDoomed.length).toBeGreaterThan(0);
    } finally {
      await channels.close();
      subscriber.disconnect();
      publisher.disconnect();
      await failing.stop();
    }
  });
});
