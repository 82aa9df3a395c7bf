import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { client, startTestApi, type Client, type TestApi } from './harness.js';
import { startTcpProxy } from './tcp-proxy.js';

let redis: RedisServer;
let databaseUrl: string;
let api: TestApi;
let http: Client;

beforeAll(async () => {
  redis = await startRedis();
  databaseUrl = await useTestDatabase();
  api = await startTestApi({ databaseUrl, redisUrl: redis.url, env: { CORS_ORIGINS: 'http://app.example' } });
  http = client(api.url);
});
afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

/** The same database reached through a proxy the test can cut. */
async function apiBehindDatabaseProxy(readyTimeoutMs: number) {
  const url = new URL(databaseUrl);
  const proxy = await startTcpProxy(Number(url.port));
  url.port = String(proxy.port);
  const proxied = await startTestApi({ databaseUrl: url.toString(), redisUrl: redis.url, readyTimeoutMs });
  return {
    proxy,
    api: proxied,
    close: async () => {
      // Cut the proxy first: a connection attempt stuck in the black hole would hold the pool open.
      await proxy.close();
      await proxied.close();
    },
  };
}

describe('routing edges', () => {
  it('answers an unknown path with 404 not_found in the contract shape', async () => {
    const res = await http.get('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const res = await http.request('DELETE', '/api/auth/login');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toContain('POST');
    expect(res.body.error.code).toBe('not_found');
  });

  it('answers CORS preflights for configured origins only', async () => {
    const preflight = (origin: string) =>
      http.request('OPTIONS', '/api/auth/login', {
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const allowed = await preflight('http://app.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('Authorization');
    const other = await preflight('http://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('health and metrics', () => {
  it('GET /health answers 200 while the process runs', async () => {
    const res = await http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', service: 'api' });
  });

  it('GET /health/ready answers 200 when Redis and PostgreSQL answer', async () => {
    const res = await http.get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', service: 'api', checks: { redis: 'ok', postgres: 'ok' } });
  });

  it('GET /health/ready answers 503 unavailable, without hanging, when PostgreSQL does not answer', async () => {
    const { proxy, api: proxied, close } = await apiBehindDatabaseProxy(1_000);
    try {
      const c = client(proxied.url);
      expect((await c.get('/health/ready')).status).toBe(200);
      proxy.blackhole();
      const res = await c.get('/health/ready');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status: 'unavailable', service: 'api', error: { code: 'unavailable' }, checks: { redis: 'ok', postgres: 'down' } });
      expect((await c.get('/health')).status).toBe(200);
    } finally {
      await close();
    }
  });

  it('lets an in-flight request finish on stop() and then refuses connections; stop() is idempotent', async () => {
    const { proxy, api: proxied, close } = await apiBehindDatabaseProxy(500);
    try {
      proxy.blackhole();
      const before = proxy.accepted();
      // A readiness probe now waits out its timeout: a request that is still running at stop().
      const inFlight = client(proxied.url).get('/health/ready');
      await waitFor('the probe to reach the database', () => proxy.accepted() > before);
      const stopping = proxied.api.stop();
      expect(proxied.api.stop()).toBe(stopping);
      const res = await inFlight;
      expect(res.status).toBe(503);
      await stopping;
      await expect(fetch(`${proxied.url}/health`)).rejects.toThrow();
    } finally {
      await close();
    }
  });

  it('GET /metrics reports request counts and latency by route pattern and status', async () => {
    await http.get('/api/rooms/6b1d8b4e-0000-4000-8000-000000000000');
    await http.get('/api/no/such/route');
    const res = await http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = res.body as string;
    expect(text).toMatch(/http_requests_total\{[^}]*method="GET"[^}]*route="\/api\/rooms\/:roomId"[^}]*status="401"[^}]*\} 1/);
    expect(text).toMatch(/http_requests_total\{[^}]*route="unmatched"[^}]*status="404"/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/health\/ready"[^}]*status="200"/);
    expect(text).not.toContain('6b1d8b4e');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  // Last: it stops this file's Redis.
  it('GET /health/ready answers 503 unavailable when Redis is stopped, and so do routes that need Redis', async () => {
    const { token, user } = await http.register(undefined, 'right password');
    await redis.stop();
    const res = await http.get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { code: 'unavailable' }, checks: { redis: 'down', postgres: 'ok' } });
    expect((await http.get('/health')).status).toBe(200);
    // Without the denylist a token cannot be trusted, nor can a login be counted: 503, not 401 or 500.
    const me = await http.get('/api/me', { token });
    expect([me.status, me.body.error.code]).toEqual([503, 'unavailable']);
    const login = await http.post('/api/auth/login', { body: { username: user.username, password: 'right password' } });
    expect([login.status, login.body.error.code]).toEqual([503, 'unavailable']);
  });
});
