import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { LOGIN_WINDOW_SECONDS } from '../src/auth/login-throttle.js';
import { client, startTestApi, type Client, type TestApi } from './harness.js';

// Two API replicas on one Redis and one database, as behind nginx.
let redis: RedisServer;
let apiA: TestApi;
let apiB: TestApi;
let a: Client;
let b: Client;

beforeAll(async () => {
  redis = await startRedis();
  const databaseUrl = await useTestDatabase();
  [apiA, apiB] = await Promise.all([
    startTestApi({ databaseUrl, redisUrl: redis.url }),
    startTestApi({ databaseUrl, redisUrl: redis.url }),
  ]);
  a = client(apiA.url);
  b = client(apiB.url);
});
afterAll(async () => {
  await Promise.all([apiA?.close(), apiB?.close()]);
  await redis?.stop();
});
beforeEach(async () => {
  await apiA.redis.flushdb();
});

const login = (c: Client, username: string, password: string, ip: string) =>
  c.post('/api/auth/login', { body: { username, password }, ip });

describe('login throttling', () => {
  it('allows 5 failures per username across both replicas, then answers 429 with Retry-After even for the right password', async () => {
    const { user } = await a.register(undefined, 'right password');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      // Alternate replicas and IPs: only the username is shared.
      const res = await login(i % 2 === 0 ? a : b, user.username, 'wrong password', `10.0.0.${i + 1}`);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);

    const blocked = await login(b, user.username.toUpperCase(), 'right password', '10.0.1.1');
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
    // In the body as milliseconds, and in the header as whole seconds (rounded up).
    const waitMs: unknown = blocked.body.error.retryAfterMs;
    expect(Number.isInteger(waitMs) && (waitMs as number) > 0 && (waitMs as number) <= LOGIN_WINDOW_SECONDS * 1000).toBe(true);
    expect(Number(blocked.headers.get('retry-after'))).toBe(Math.ceil((waitMs as number) / 1000));
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(LOGIN_WINDOW_SECONDS);
    expect((await login(a, user.username, 'right password', '10.0.1.2')).status).toBe(429);
  });

  it('allows 5 failures per IP across usernames and replicas, then refuses that IP but not others', async () => {
    const { user } = await a.register(undefined, 'right password');
    const ip = '192.0.2.7';
    for (let i = 0; i < 5; i++) {
      const res = await login(i % 2 === 0 ? a : b, a.uniqueName('nobody'), 'wrong password', ip);
      expect(res.status).toBe(401);
    }
    const blocked = await login(b, user.username, 'right password', ip);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(a, user.username, 'right password', '192.0.2.8')).status).toBe(200);
  });

  it('does not count a refused attempt against the username', async () => {
    const { user } = await a.register(undefined, 'right password');
    const ip = '198.51.100.1';
    for (let i = 0; i < 5; i++) await login(a, a.uniqueName('nobody'), 'wrong password', ip);
    // The IP is blocked: these attempts at the user are refused before any password check…
    for (let i = 0; i < 5; i++) expect((await login(b, user.username, 'wrong password', ip)).status).toBe(429);
    // …so the user's own count is untouched and they can still log in elsewhere.
    expect((await login(a, user.username, 'right password', '198.51.100.2')).status).toBe(200);
  });

  it('resets the username count after a successful login', async () => {
    const { user } = await a.register(undefined, 'right password');
    for (let i = 0; i < 4; i++) expect((await login(a, user.username, 'wrong password', `203.0.113.${i}`)).status).toBe(401);
    expect((await login(b, user.username, 'right password', '203.0.113.50')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await login(b, user.username, 'wrong password', `203.0.113.${60 + i}`)).status).toBe(401);
    expect((await login(a, user.username, 'right password', '203.0.113.99')).status).toBe(429);
  });

  it('counts concurrent failures exactly, so a burst cannot get past the limit', async () => {
    const { user } = await a.register(undefined, 'right password');
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login(i % 2 === 0 ? a : b, user.username, 'wrong password', `100.64.0.${i}`)),
    );
    const statuses = burst.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY is set, so a client cannot pick its own IP', async () => {
    const direct = await startTestApi({ databaseUrl: await useTestDatabase(), redisUrl: redis.url, env: { TRUST_PROXY: 'false' } });
    try {
      const c = client(direct.url);
      for (let i = 0; i < 5; i++) {
        expect((await login(c, c.uniqueName('nobody'), 'wrong password', `172.16.0.${i}`)).status).toBe(401);
      }
      expect((await login(c, c.uniqueName('nobody'), 'wrong password', '172.16.1.1')).status).toBe(429);
    } finally {
      await direct.close();
    }
  });

  it('honours RATE_LIMIT_LOGIN', async () => {
    const strict = await startTestApi({ databaseUrl: await useTestDatabase(), redisUrl: redis.url, env: { RATE_LIMIT_LOGIN: '2' } });
    try {
      const c = client(strict.url);
      const { user } = await c.register(undefined, 'right password');
      expect((await login(c, user.username, 'nope nope', '10.9.0.1')).status).toBe(401);
      expect((await login(c, user.username, 'nope nope', '10.9.0.2')).status).toBe(401);
      expect((await login(c, user.username, 'right password', '10.9.0.3')).status).toBe(429);
    } finally {
      await strict.close();
    }
  });
});
