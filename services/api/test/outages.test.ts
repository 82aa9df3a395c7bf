import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { errorBodySchema, type AuthResponse, type Room } from '@chat/contract';
import { client, startTestApi, type Client, type Reply, type TestApi } from './harness.js';
import { startTcpProxy } from './tcp-proxy.js';

/** The API reaches PostgreSQL and Redis through proxies the tests cut. */
let redis: RedisServer;
let databaseUrl: string;
let pgProxy: Awaited<ReturnType<typeof startTcpProxy>>;
let redisProxy: Awaited<ReturnType<typeof startTcpProxy>>;
let api: TestApi;
let http: Client;
let alice: AuthResponse;
let room: Room;

beforeAll(async () => {
  redis = await startRedis();
  databaseUrl = await useTestDatabase();
  const pgUrl = new URL(databaseUrl);
  pgProxy = await startTcpProxy(Number(pgUrl.port));
  pgUrl.port = String(pgProxy.port);
  redisProxy = await startTcpProxy(redis.port);
  api = await startTestApi({ databaseUrl: pgUrl.toString(), redisUrl: `redis://127.0.0.1:${redisProxy.port}`, redisCommandTimeoutMs: 1_000 });
  http = client(api.url);
  alice = await http.register(undefined, 'alice password');
  room = await http.createRoom(alice.token);
});
afterAll(async () => {
  await pgProxy?.close();
  await redisProxy?.close();
  await api?.close();
  await redis?.stop();
});

const expectUnavailable = (res: Reply, what: string) => {
  expect(res.status, what).toBe(503);
  expect(errorBodySchema.parse(res.body).error.code, what).toBe('unavailable');
};

describe('Redis failing in the middle of a request', () => {
  it('answers GET /api/rooms/:roomId with 503 unavailable when the presence lookup fails, and recovers', async () => {
    // Only the presence read is cut: the token check before it still reaches Redis.
    redisProxy.cutOn(/presence:\{presence\}:room:/);
    try {
      expectUnavailable(await http.get(`/api/rooms/${room.id}`, { token: alice.token }), 'room details');
    } finally {
      redisProxy.cutOn(undefined);
    }
    expect((await http.get(`/api/rooms/${room.id}`, { token: alice.token })).status).toBe(200);
  });

  it("answers logout with 503 unavailable when the token's revocation cannot be stored; a retry logs out", async () => {
    const { token } = await http.register();
    redisProxy.cutOn(/\r\nset\r\n\$\d+\r\nauth:\{auth\}:revoked:/i);
    try {
      expectUnavailable(await http.post('/api/auth/logout', { token }), 'logout');
    } finally {
      redisProxy.cutOn(undefined);
    }
    // The outcome was unknown to the API (ioredis may still deliver the SET later); a retry settles it.
    expect([204, 401]).toContain((await http.post('/api/auth/logout', { token })).status);
    expect((await http.get('/api/me', { token })).status).toBe(401);
  });

  it('still answers a join 200 when only its broadcast fails (the membership and message are committed)', async () => {
    const guest = await http.register();
    redisProxy.cutOn(/\r\nspublish\r\n/i);
    try {
      const res = await http.post(`/api/rooms/${room.id}/join`, { token: guest.token });
      expect(res.status).toBe(200);
      expect(res.body.memberCount).toBe(2);
      // Let the failed publish settle (ioredis gives up after its 1 s command timeout): an unhandled rejection would fail this file.
      await new Promise((r) => setTimeout(r, 2_000));
    } finally {
      redisProxy.cutOn(undefined);
    }
    const history = await http.get(`/api/rooms/${room.id}/messages`, { token: guest.token });
    expect(history.body.messages.at(-1).content).toBe(`${guest.user.username} joined the room`);
  });
});

// Last: it takes PostgreSQL away for good.
describe('PostgreSQL unreachable', () => {
  it('answers every route that needs it with 503 unavailable in the contract shape', async () => {
    const guest = await http.register(undefined, 'guest password');
    await pgProxy.close();
    const token = alice.token;
    const cases: [string, () => Promise<Reply>][] = [
      ['register', () => http.post('/api/auth/register', { body: { username: http.uniqueName(), password: 'long enough' } })],
      ['login', () => http.post('/api/auth/login', { body: { username: guest.user.username, password: 'guest password' } })],
      ['me', () => http.get('/api/me', { token })],
      ['create room', () => http.post('/api/rooms', { token, body: { name: http.uniqueName('room') } })],
      ['list rooms', () => http.get('/api/rooms', { token })],
      ['room details', () => http.get(`/api/rooms/${room.id}`, { token })],
      ['join', () => http.post(`/api/rooms/${room.id}/join`, { token: guest.token })],
      ['leave', () => http.post(`/api/rooms/${room.id}/leave`, { token })],
      ['history', () => http.get(`/api/rooms/${room.id}/messages`, { token })],
    ];
    for (const [what, call] of cases) expectUnavailable(await call(), what);
    expect((await http.get('/health')).status).toBe(200);
    expectUnavailable(await http.get('/health/ready'), 'readiness');
  });
});
