import { randomBytes } from 'node:crypto';
import { startRedis, TEST_JWT_SECRET, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { afterAll, beforeAll, expect } from 'vitest';
import { errorBodySchema, type AuthResponse, type Room } from '@chat/contract';
import { createLogger, createRedis, loadApiConfig, type RedisClient } from '@chat/runtime';
import { createOrm, createStore, type Orm, type Store } from '@chat/store';
import { createApi, type Api, type ApiOptions } from '../src/index.js';

export interface TestApi {
  url: string;
  api: Api;
  orm: Orm;
  store: Store;
  redis: RedisClient;
  /** Stops the API and closes its ORM and Redis client. */
  close(): Promise<void>;
}

export interface TestApiOptions extends ApiOptions {
  databaseUrl: string;
  redisUrl: string;
  env?: Record<string, string>;
  /** How long a Redis command may wait for its reply. @default createRedis's (5 s) */
  redisCommandTimeoutMs?: number;
}

/** The real API in this process on a free port, with its own ORM and Redis client. */
export async function startTestApi({ databaseUrl, redisUrl, env = {}, redisCommandTimeoutMs, ...options }: TestApiOptions): Promise<TestApi> {
  const config = loadApiConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.API_TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    TRUST_PROXY: 'true',
    ...env,
  });
  const orm = await createOrm({ databaseUrl: config.databaseUrl, poolMax: 4 });
  const redis = createRedis(config.redis, {
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    ...(redisCommandTimeoutMs === undefined ? {} : { commandTimeout: redisCommandTimeoutMs }),
  });
  redis.on('error', () => undefined); // a test stops Redis on purpose; readiness reports it
  const api = createApi({ config, orm, redis, logger: createLogger({ service: 'api', level: config.logLevel }) }, options);
  const { url } = await api.start(0, '127.0.0.1');
  // The test's own access to the database, for seeding and checks.
  const store = createStore(orm);
  return {
    url,
    api,
    orm,
    store,
    redis,
    close: async () => {
      await api.stop();
      await store.close();
      await orm.close(true);
      redis.disconnect();
    },
  };
}

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  token?: string;
  /** Sent as JSON unless it is a string (sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Sets X-Forwarded-For (the API trusts it in these tests, as behind nginx). */
  ip?: string;
}

/** A small fetch wrapper: JSON in and out. */
export function client(baseUrl: string) {
  async function request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.ip) headers['x-forwarded-for'] = options.ip;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    const isJson = res.headers.get('content-type')?.includes('application/json') ?? false;
    return { status: res.status, headers: res.headers, body: (isJson && text ? JSON.parse(text) : text) as T };
  }

  let counter = 0;
  const uniqueName = (prefix = 'user'): string => `${prefix}_${randomBytes(4).toString('hex')}${counter++}`;

  return {
    request,
    get: <T = any>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
    post: <T = any>(path: string, options?: RequestOptions) => request<T>('POST', path, options),
    uniqueName,
    /** Registers a fresh user (password `correct horse`) and returns token and user. */
    async register(username = uniqueName(), password = 'correct horse'): Promise<AuthResponse> {
      const res = await request<AuthResponse>('POST', '/api/auth/register', { body: { username, password } });
      if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async createRoom(token: string, name = uniqueName('room'), description?: string): Promise<Room> {
      const res = await request<Room>('POST', '/api/rooms', { token, body: { name, description } });
      if (res.status !== 201) throw new Error(`create room failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
  };
}

export type Client = ReturnType<typeof client>;

/** Asserts an answer is the contract's error: its status, its code and, if given, words of its message. */
export function expectError(res: { status: number; body: unknown }, status: number, code: string, mentions?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const body = errorBodySchema.parse(res.body);
  expect(body.error.code).toBe(code);
  if (mentions) expect(body.error.message).toContain(mentions);
}

/** What `useTestApi` starts for a test file: filled in before its tests, stopped after them. */
export interface ApiSuite {
  redis: RedisServer;
  api: TestApi;
  http: Client;
}

/** A real API on a private Redis and a fresh database for the file's tests, with a client of it. */
export function useTestApi(): ApiSuite {
  const suite = {} as ApiSuite;
  beforeAll(async () => {
    suite.redis = await startRedis();
    suite.api = await startTestApi({ databaseUrl: await useTestDatabase(), redisUrl: suite.redis.url });
    suite.http = client(suite.api.url);
  });
  afterAll(async () => {
    await suite.api?.close();
    await suite.redis?.stop();
  });
  return suite;
}
