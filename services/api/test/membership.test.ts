import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { historyResponseSchema, roomSchema } from '@chat/contract';
import { chatRoom, userRoom } from '@chat/runtime';
import { client, startTestApi, type Client, type TestApi } from './harness.js';
import { startSocketServer } from './socket-fixture.js';

let redis: RedisServer;
let api: TestApi;
let http: Client;
let sockets: Awaited<ReturnType<typeof startSocketServer>>;

beforeAll(async () => {
  redis = await startRedis();
  api = await startTestApi({ databaseUrl: await useTestDatabase(), redisUrl: redis.url });
  http = client(api.url);
  sockets = await startSocketServer(redis.url);
});
afterAll(async () => {
  await sockets?.close();
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

describe('REST leave and sockets', () => {
  it("takes the leaving user's sockets out of the Socket.IO room, so they get none of its later messages", async () => {
    const owner = await http.register();
    const guest = await http.register();
    const latecomer = await http.register();
    const room = await http.createRoom(owner.token);
    await http.post(`/api/rooms/${room.id}/join`, { token: guest.token });

    // As a gateway places them: every socket of a user sits in that user's room, and in the chat rooms it joined.
    const leaving = await sockets.connect([userRoom(guest.user.id), chatRoom(room.id)]);
    const leavingElsewhere = await sockets.connect([userRoom(guest.user.id), chatRoom(room.id)]);
    const staying = await sockets.connect([userRoom(owner.user.id), chatRoom(room.id)]);

    expect((await http.post(`/api/rooms/${room.id}/leave`, { token: guest.token })).status).toBe(200);
    await waitFor('the leave message', () => staying.messages.length === 1);
    await http.post(`/api/rooms/${room.id}/join`, { token: latecomer.token });
    await waitFor('the join message', () => staying.messages.length === 2);

    expect(staying.messages.map((m) => m.content)).toEqual([
      `${guest.user.username} left the room`,
      `${latecomer.user.username} joined the room`,
    ]);
    // The leave message itself still reached them (it was sent before they were taken out); nothing after it did.
    for (const socket of [leaving, leavingElsewhere]) {
      expect(socket.messages.map((m) => m.content)).toEqual([`${guest.user.username} left the room`]);
      expect(socket.socket.connected).toBe(true);
    }
  });

  it('takes them out even when the user was no longer a member (a repeated leave)', async () => {
    const owner = await http.register();
    const guest = await http.register();
    const room = await http.createRoom(owner.token);
    const stale = await sockets.connect([userRoom(guest.user.id), chatRoom(room.id)]);
    const staying = await sockets.connect([userRoom(owner.user.id), chatRoom(room.id)]);

    expect((await http.post(`/api/rooms/${room.id}/leave`, { token: guest.token })).body).toEqual({ ok: true });
    await http.post(`/api/rooms/${room.id}/join`, { token: guest.token });
    await waitFor('the join message', () => staying.messages.length === 1);
    expect(stale.messages).toEqual([]);
  });
});
