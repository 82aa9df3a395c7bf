import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceVariableNames } from '@chat/runtime';
import { startRedis, type RedisServer } from './redis.js';
import { serviceEnvironment, startService } from './services.js';
import { TEST_JWT_SECRET } from './cluster.js';
import { useTestDatabase } from './vitest.js';

describe('serviceEnvironment', () => {
  const parent = {
    PATH: '/usr/bin',
    HOME: '/home/dev',
    TMPDIR: '/tmp/dev',
    LANG: 'de_DE.UTF-8',
    LC_ALL: 'de_DE.UTF-8',
    TZ: 'Europe/Berlin',
    RATE_LIMIT_LOGIN: '1000',
    BODY_LIMIT: '10mb',
    OPENAI_API_KEY: 'sk-developer',
    STOOQ_URL: 'http://localhost:9999',
    NODE_OPTIONS: '--inspect',
    npm_lifecycle_event: 'test',
  };

  it("passes on the parent's basic process variables and none of its configuration", () => {
    expect(serviceEnvironment({ REDIS_URL: 'redis://127.0.0.1:1' }, parent)).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/dev',
      TMPDIR: '/tmp/dev',
      LANG: 'de_DE.UTF-8',
      LC_ALL: 'de_DE.UTF-8',
      TZ: 'Europe/Berlin',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
  });

  it('lets the explicit environment set anything, NODE_OPTIONS included, and remove an inherited variable', () => {
    const env = serviceEnvironment({ NODE_OPTIONS: '--cpu-prof', NODE_ENV: 'production', TZ: undefined, BODY_LIMIT: '1kb' }, parent);
    expect(env).toMatchObject({ NODE_OPTIONS: '--cpu-prof', NODE_ENV: 'production', BODY_LIMIT: '1kb' });
    expect(env).not.toHaveProperty('TZ');
  });

  it('inherits no variable any service reads', () => {
    const everything = Object.fromEntries(serviceVariableNames.map((name) => [name, 'from the developer']));
    expect(serviceVariableNames).toEqual(expect.arrayContaining(['JWT_SECRET', 'OPENAI_API_KEY', 'RATE_LIMIT_MESSAGES', 'BODY_LIMIT', 'STOOQ_URL']));
    expect(Object.keys(serviceEnvironment({}, { ...parent, ...everything })).filter((k) => serviceVariableNames.includes(k)).sort()).toEqual([
      'LOG_LEVEL',
      'NODE_ENV',
    ]);
  });
});

describe('startService', () => {
  let redis: RedisServer;
  const leaked = { BODY_LIMIT: 'lots', RATE_LIMIT_LOGIN: 'zero', OPENAI_API_KEY: 'sk-leak' };
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    redis = await startRedis();
    for (const [k, v] of Object.entries(leaked)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await redis?.stop();
  });

  it("starts a service that the test runner's own bad configuration does not reach", async () => {
    // Were BODY_LIMIT=lots or RATE_LIMIT_LOGIN=zero inherited, the API would refuse to start (exit 78).
    const api = await startService('api', { env: { DATABASE_URL: await useTestDatabase(), REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET } });
    try {
      expect((await fetch(`${api.url}/health/ready`)).status).toBe(200);
      for (const name of Object.keys(leaked)) expect(api.env).not.toHaveProperty(name);
    } finally {
      await api.stop();
    }
  });
});
