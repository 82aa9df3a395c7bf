import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { historyResponseSchema, roomSchema } from '@chat/contract';
import { client, startTestApi, type Client, type TestApi } from './harness.js';
import { recordChannels } from './channel-recorder.js';

let redis: RedisServer;
let api: TestApi;
let http: Client;
let channels: Awaited<ReturnType<typeof recordChannels>>;

beforeAll(async () => {
  redis = await startRedis();
  api = await startTestApi({ databaseUrl: await useTestDatabase(), redisUrl: redis.url });
  http = client(api.url);
  channels = await recordChannels(redis.url);
});
afterAll(async () => {
  await channels?.close();
  await api?.close();
  await redis?.stop();
});

describe('concurrent joins', () => {
  it('answers 12 concurrent joins of one room with 200 each and stores their system messages with gapless seqs', async () => {
    const owner = await http.register();
    const room = await http.createRoom(owner.token);
    const guests = await Promise.all(Array.from({ length: 12 }, () => http.register()));

    const joins = await Promise.all(guests.map((g) => http.post(`/api/rooms/${room.id}/join`, { token: g.token })));
    expect(joins.map((r) => r.status)).toEqual(guests.map(() => 200));
    for (const res of joins) roomSchema.parse(res.body);

    const history = historyResponseSchema.parse((await http.get(`/api/rooms/${room.id}/messages`, { token: owner.token })).body);
    expect(history.messages.map((m) => m.seq)).toEqual(guests.map((_, i) => i + 1));
    expect(history.messages.map((m) => m.content).sort()).toEqual(guests.map((g) => `${g.user.username} joined the room`).sort());
    expect((await http.get(`/api/rooms/${room.id}`, { token: owner.token })).body.memberCount).toBe(13);
  });

  it('answers concurrent joins and leaves of one room without a deadlock', async () => {
    const owner = await http.register();
    const room = await http.createRoom(owner.token);
    const guests = await Promise.all(Array.from({ length: 6 }, () => http.register()));
    await Promise.all(guests.slice(0, 3).map((g) => http.post(`/api/rooms/${room.id}/join`, { token: g.token })));

    const results = await Promise.all(
      guests.map((g, i) => http.post(`/api/rooms/${room.id}/${i < 3 ? 'leave' : 'join'}`, { token: g.token })),
    );
    expect(results.map((r) => r.status)).toEqual(guests.map(() => 200));
    const history = historyResponseSchema.parse((await http.get(`/api/rooms/${room.id}/messages`, { token: owner.token })).body);
    expect(history.messages.map((m) => m.seq)).toEqual(Array.from({ length: 9 }, (_, i) => i + 1));
  });
});

describe('REST leave and the gateways', () => {
  it("publishes the user's leave on the room's channel right after their \"left\" message, so gateways take their sockets out", async () => {
    const owner = await http.register();
    const guest = await http.register();
    const latecomer = await http.register();
    const room = await http.createRoom(owner.token);
    await http.post(`/api/rooms/${room.id}/join`, { token: guest.token });
    const channel = await channels.room(room.id);

    expect((await http.post(`/api/rooms/${room.id}/leave`, { token: guest.token })).status).toBe(200);
    await http.post(`/api/rooms/${room.id}/join`, { token: latecomer.token });
    await waitFor('the leave and the join', () => channel.events.length === 3);

    expect(channel.events).toEqual([
      { kind: 'messages', messages: [expect.objectContaining({ seq: 2, content: `${guest.user.username} left the room` })] },
      { kind: 'leave', leave: { roomId: room.id, userId: guest.user.id } },
      { kind: 'messages', messages: [expect.objectContaining({ seq: 3, content: `${latecomer.user.username} joined the room` })] },
    ]);
  });

  it('publishes the leave even when the user was no longer a member (a repeated leave), with no message', async () => {
    const owner = await http.register();
    const guest = await http.register();
    const room = await http.createRoom(owner.token);
    const channel = await channels.room(room.id);

    expect((await http.post(`/api/rooms/${room.id}/leave`, { token: guest.token })).body).toEqual({ ok: true });
    await waitFor('the leave', () => channel.events.length === 1);
    expect(channel.events).toEqual([{ kind: 'leave', leave: { roomId: room.id, userId: guest.user.id } }]);
  });
});
