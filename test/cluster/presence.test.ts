import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, redisKeys, type RedisClient } from '@chat/runtime';
import { TYPING_TTL_MS } from '@chat/contract';
import { waitFor } from '@chat/testkit';
import { call, closeAll, Inbox, ok, type ChatSocket } from '../../services/gateway/test/support/client.js';
import { roomWith, type TestUser } from '../support/users.js';
import { startChatCluster, type ChatCluster } from './support/cluster.js';

let chat: ChatCluster;
let redis: RedisClient;
const sockets: ChatSocket[] = [];
const track = (socket: ChatSocket): ChatSocket => {
  sockets.push(socket);
  return socket;
};

const onlineInDetails = async (reader: TestUser, roomId: string, userId: string): Promise<boolean | undefined> =>
  (await reader.client.rest.room({ params: { roomId } })).members.find((m) => m.id === userId)?.online;

beforeAll(async () => {
  chat = await startChatCluster(2);
  redis = createRedis(chat.cluster.redisTarget);
});
afterAll(async () => {
  closeAll(sockets);
  await redis?.quit();
  await chat?.stop();
});

describe('presence across replicas', () => {
  it('announces a user online at their first socket anywhere and offline after their last', async () => {
    const [watcher, dave] = await Promise.all([chat.register('watcher'), chat.register('dave')]);
    const roomId = await roomWith([watcher, dave]);
    const [gw1, gw2] = chat.replicaIds as [string, string];
    const watching = track(await chat.connectTo(gw2, watcher.token));
    const onGw1 = track(await chat.connectTo(gw1, watcher.token));
    const inbox = new Inbox(watching);
    ok(await call(watching, 'room:join', { roomId }));
    ok(await call(onGw1, 'room:join', { roomId }));
    const daveEvents = (): string[] => inbox.presence.filter((p) => p.user.id === dave.user.id && p.roomId === roomId).map((p) => p.status);

    const first = track(await chat.connectTo(gw1, dave.token));
    const joined = ok(await call(first, 'room:join', { roomId }));
    expect(joined.online.map((u) => u.id).sort()).toEqual([watcher.user.id, dave.user.id].sort());
    await inbox.waitFor('dave online', () => daveEvents().length === 1);
    expect(inbox.presence.find((p) => p.user.id === dave.user.id)).toEqual({ roomId, user: { id: dave.user.id, username: dave.user.username }, status: 'online' });
    expect(await onlineInDetails(watcher, roomId, dave.user.id)).toBe(true);

    // A second socket on the other replica: still one presence, counted twice.
    const second = track(await chat.connectTo(gw2, dave.token));
    ok(await call(second, 'room:join', { roomId }));
    expect(await redis.hget(redisKeys.presenceRoom(roomId), dave.user.id)).toBe('2');

    first.close();
    await waitFor('gw1 to count the first socket out', async () => (await redis.hget(redisKeys.presenceRoom(roomId), dave.user.id)) === '1');
    // Anything gw1 or gw2 emitted before these markers reaches the watcher before them.
    ok(await call(onGw1, 'message:send', { roomId, content: 'marker gw1', clientId: randomUUID() }));
    ok(await call(second, 'message:send', { roomId, content: 'marker gw2', clientId: randomUUID() }));
    await inbox.waitFor('markers', () => inbox.messages.filter((m) => m.content.startsWith('marker')).length === 2);
    expect(daveEvents()).toEqual(['online']);
    expect(await onlineInDetails(watcher, roomId, dave.user.id)).toBe(true);

    second.close();
    await inbox.waitFor('dave offline', () => daveEvents().length === 2);
    expect(daveEvents()).toEqual(['online', 'offline']);
    expect(await onlineInDetails(watcher, roomId, dave.user.id)).toBe(false);
    expect(await redis.hexists(redisKeys.presenceRoom(roomId), dave.user.id)).toBe(0);
  });
});

describe('typing across replicas', () => {
  it('reaches the others on another replica and lapses 5 s after the last renewal', async () => {
    const [typist, reader] = await Promise.all([chat.register('typist'), chat.register('reader')]);
    const roomId = await roomWith([typist, reader]);
    const [gw1, gw2] = chat.replicaIds as [string, string];
    const typing = track(await chat.connectTo(gw1, typist.token));
    const reading = track(await chat.connectTo(gw2, reader.token));
    const [typistInbox, inbox] = [new Inbox(typing), new Inbox(reading)];
    for (const s of [typing, reading]) ok(await call(s, 'room:join', { roomId }));
    const states = (): boolean[] => inbox.typing.filter((t) => t.user.id === typist.user.id).map((t) => t.isTyping);

    const startedAt = Date.now();
    ok(await call(typing, 'typing', { roomId, isTyping: true }));
    await inbox.waitFor('typing', () => states().length === 1);
    expect(inbox.typing[0]).toEqual({ roomId, user: { id: typist.user.id, username: typist.user.username }, isTyping: true });
    await new Promise((r) => setTimeout(r, 1_500));
    const renewedAt = Date.now();
    ok(await call(typing, 'typing', { roomId, isTyping: true }));
    await inbox.waitFor('the lapse', () => states().includes(false), TYPING_TTL_MS + 5_000);
    const lapsedAfter = Date.now() - renewedAt;
    expect(states()).toEqual([true, true, false]);
    // Not before the renewed 5 s had run (the first `true` alone would have lapsed 1.5 s earlier).
    expect(lapsedAfter).toBeGreaterThanOrEqual(TYPING_TTL_MS - 100);
    expect(Date.now() - startedAt).toBeGreaterThan(TYPING_TTL_MS + 1_000);
    expect(typistInbox.typing).toEqual([]);
  });
});
