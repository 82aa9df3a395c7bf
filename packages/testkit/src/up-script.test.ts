import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@chat/runtime';
import { loadUpEnv } from '../../../scripts/up-env.js';
import { repoRoot } from './nginx.js';
import { startProcess } from './process.js';

function problemsOf(source: Record<string, string>): string[] {
  try {
    loadUpEnv(source);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected loadUpEnv to refuse the environment');
}

describe("npm run up's environment", () => {
  it('has defaults: 2 gateways, 1 worker, nginx on 8080, private Redis and PostgreSQL, workers stopped within 70 s, no Prometheus', () => {
    expect(loadUpEnv({})).toEqual({
      gateways: 2,
      workers: 1,
      nginxPort: 8080,
      redisUrl: undefined,
      redisShards: 1,
      databaseUrl: undefined,
      workerStopGraceMs: 70_000,
      prometheus: false,
      prometheusPort: 9090,
    });
  });

  it('reads every variable, and gives workers 10 s past their AI timeout to stop', () => {
    expect(
      loadUpEnv({
        GATEWAYS: '3',
        WORKERS: '2',
        NGINX_PORT: '9090',
        REDIS_URL: 'redis://r:6379',
        REDIS_SHARDS: '3',
        DATABASE_URL: 'postgres://p/chat',
        AI_TIMEOUT_MS: '120000',
        PROMETHEUS: '1',
        PROMETHEUS_PORT: '9191',
      }),
    ).toEqual({
      gateways: 3,
      workers: 2,
      nginxPort: 9090,
      redisUrl: 'redis://r:6379',
      redisShards: 3,
      databaseUrl: 'postgres://p/chat',
      workerStopGraceMs: 130_000,
      prometheus: true,
      prometheusPort: 9191,
    });
  });

  it.each([
    ['NGINX_PORT', 'abc'],
    ['NGINX_PORT', '0'],
    ['NGINX_PORT', '70000'],
    ['GATEWAYS', 'two'],
    ['GATEWAYS', '0'],
    ['GATEWAYS', '33'],
    ['GATEWAYS', '1.5'],
    ['WORKERS', '-1'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['REDIS_SHARDS', '2'],
    ['REDIS_SHARDS', '0'],
    ['REDIS_SHARDS', 'three'],
    ['DATABASE_URL', 'mysql://db'],
    ['AI_TIMEOUT_MS', 'soon'],
    ['PROMETHEUS', 'maybe'],
    ['PROMETHEUS_PORT', '0'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    expect(problemsOf({ [name]: value }).some((p) => p.startsWith(`${name}:`))).toBe(true);
  });

  it('makes scripts/up.ts exit 78 naming the variable, before it starts anything', async () => {
    const proc = startProcess('up', process.execPath, ['--conditions=development', '--import', 'tsx', join(repoRoot, 'scripts/up.ts')], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', NGINX_PORT: 'abc', GATEWAYS: '0' },
    });
    const timer = setTimeout(() => proc.kill(), 30_000);
    try {
      expect(await proc.exited).toBe(78);
    } finally {
      clearTimeout(timer);
    }
    expect(proc.output()).toMatch(/NGINX_PORT: must be a port number/);
    expect(proc.output()).toMatch(/GATEWAYS: /);
    expect(proc.output()).not.toContain('stopping');
  });
});
