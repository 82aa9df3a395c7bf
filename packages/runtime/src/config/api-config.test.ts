import { describe, expect, it } from 'vitest';
import { ConfigError } from './env.js';
import { loadApiConfig } from './api.config.js';

const base = { NODE_ENV: 'test' };

function problemsOf(source: Record<string, string>): string[] {
  try {
    loadApiConfig(source);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected loadApiConfig to refuse the environment');
}

describe('loadApiConfig', () => {
  it('has working defaults under NODE_ENV=test', () => {
    const config = loadApiConfig(base);
    expect(config).toMatchObject({ port: 3000, loginLimit: 5, trustProxy: false, jwtTtl: 86_400, bodyLimit: '16kb' });
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(16);
  });

  it('reads every API variable', () => {
    const config = loadApiConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 's'.repeat(32),
      JWT_TTL: '15m',
      PORT: '4000',
      HOST: '127.0.0.1',
      RATE_LIMIT_LOGIN: '3',
      TRUST_PROXY: 'true',
      BODY_LIMIT: '8kb',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      REDIS_URL: 'redis://cache:6379',
      DATABASE_URL: 'postgres://u@db:5432/chat',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      jwtTtl: 900,
      port: 4000,
      host: '127.0.0.1',
      loginLimit: 3,
      trustProxy: true,
      bodyLimit: '8kb',
      corsOrigins: ['https://a.example', 'https://b.example'],
      redis: { url: 'redis://cache:6379', clusterNodes: undefined },
      databaseUrl: 'postgres://u@db:5432/chat',
      logLevel: 'debug',
    });
  });

  it.each([
    ['PORT', 'http'],
    ['PORT', '70000'],
    ['RATE_LIMIT_LOGIN', 'five'],
    ['RATE_LIMIT_LOGIN', '0'],
    ['JWT_TTL', 'forever'],
    ['TRUST_PROXY', 'maybe'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['REDIS_CLUSTER_NODES', 'redis-1'],
    ['REDIS_CLUSTER_NODES', 'redis-1:6379,redis-2'],
    ['REDIS_CLUSTER_NODES', 'redis-1:70000'],
    ['REDIS_CLUSTER_NODES', ' , '],
    ['REDIS_CLUSTER_NODES', 'redis://redis-1:6379'],
    ['DATABASE_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['BODY_LIMIT', 'lots'],
    ['BODY_LIMIT', '16 kb'],
    ['BODY_LIMIT', '1gb'],
    ['BODY_LIMIT', '1.5mb'],
    ['BODY_LIMIT', '-1'],
    ['BODY_LIMIT', '0'],
    ['BODY_LIMIT', 'kb'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    const problems = problemsOf({ ...base, [name]: value });
    expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
  });

  it.each([
    ['65536', '65536'],
    ['512b', '512b'],
    ['16KB', '16kb'],
    ['1Mb', '1mb'],
  ])('takes BODY_LIMIT=%s', (value, expected) => {
    expect(loadApiConfig({ ...base, BODY_LIMIT: value }).bodyLimit).toBe(expected);
  });

  it('takes a Redis Cluster as REDIS_CLUSTER_NODES (IPv6 in brackets), with REDIS_URL lending its credentials', () => {
    const config = loadApiConfig({ ...base, REDIS_URL: 'redis://:pw@ignored:6379', REDIS_CLUSTER_NODES: 'redis-1:6379, redis-2:6380,[::1]:7000' });
    expect(config.redis).toEqual({ url: 'redis://:pw@ignored:6379', clusterNodes: ['redis-1:6379', 'redis-2:6380', '[::1]:7000'] });
    // Empty, as compose passes it when unset: the single Redis.
    expect(loadApiConfig({ ...base, REDIS_CLUSTER_NODES: '' }).redis.clusterNodes).toBeUndefined();
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({ ...base, PORT: 'x', TRUST_PROXY: 'perhaps' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['PORT', 'TRUST_PROXY']);
  });

  it('refuses a missing JWT_SECRET in production, and a short one anywhere', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toContain('JWT_SECRET: required when NODE_ENV is production');
    expect(problemsOf({ NODE_ENV: 'production', JWT_SECRET: '' })).toContain('JWT_SECRET: required when NODE_ENV is production');
    expect(problemsOf({ NODE_ENV: 'test', JWT_SECRET: 'short' })[0]).toMatch(/^JWT_SECRET: must be at least 16/);
  });

  it('treats an unset NODE_ENV as production', () => {
    expect(problemsOf({})).toContain('JWT_SECRET: required when NODE_ENV is production');
  });
});
