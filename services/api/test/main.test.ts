import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startProcess, startRedis, startService, TEST_JWT_SECRET, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { client } from './harness.js';

const apiDir = fileURLToPath(new URL('..', import.meta.url));
const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let redis: RedisServer;
let databaseUrl: string;

beforeAll(async () => {
  redis = await startRedis();
  databaseUrl = await useTestDatabase();
});
afterAll(async () => {
  await redis?.stop();
});

describe('services/api/src/main.ts', () => {
  it('serves the API as its own process and exits 0 on SIGTERM', async () => {
    const api = await startService('api', {
      env: { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET },
    });
    try {
      const http = client(api.url);
      expect((await http.get('/health/ready')).status).toBe(200);
      const { token } = await http.register();
      expect((await http.get('/api/me', { token })).status).toBe(200);
    } finally {
      await api.stop();
    }
    expect(await api.process.exited).toBe(0);
  });

  // Each rule of loadApiConfig is unit-tested in packages/runtime; this shows main.ts applies it.
  it('refuses to start with a bad variable, naming it, and exits 78', async () => {
    const proc = startProcess('api-config', process.execPath, ['--conditions=development', '--import', 'tsx', mainPath], {
      cwd: apiDir,
      env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: databaseUrl, REDIS_URL: redis.url, JWT_SECRET: '', RATE_LIMIT_LOGIN: 'plenty', BODY_LIMIT: 'lots' },
    });
    expect(await proc.exited).toBe(78);
    expect(proc.output()).toMatch(/RATE_LIMIT_LOGIN: must be a number/);
    expect(proc.output()).toMatch(/JWT_SECRET: required when NODE_ENV is production/);
    expect(proc.output()).toMatch(/BODY_LIMIT: must be a size like/);
  });
});
