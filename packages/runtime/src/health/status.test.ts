import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { createRegistry } from '../metrics/metrics.js';
import { statusEndpoints, type StatusOptions } from './status.js';

const logger = createLogger({ service: 'test', level: 'silent' });

/** /metrics as Prometheus reads it. */
async function scrape(options: StatusOptions): Promise<string> {
  const answer = await statusEndpoints(options)('GET', '/metrics');
  expect(answer?.status).toBe(200);
  return answer!.body;
}

describe('readiness in /metrics (chat_ready, chat_dependency_up)', () => {
  it('reports each dependency check and readiness as /health/ready would answer at that scrape', async () => {
    let postgresUp = true;
    const options: StatusOptions = {
      service: 'gateway',
      registry: createRegistry('gateway'),
      logger,
      checks: {
        redis: async () => 'PONG',
        postgres: async () => {
          if (!postgresUp) throw new Error('connection refused');
        },
      },
    };
    const endpoints = statusEndpoints(options);
    const metrics = async () => (await endpoints('GET', '/metrics'))!.body;
    expect(await metrics()).toMatch(/^chat_ready\{service="gateway"\} 1$/m);
    expect(await metrics()).toMatch(/^chat_dependency_up\{dependency="postgres",service="gateway"\} 1$/m);

    postgresUp = false;
    const down = await metrics();
    expect(down).toMatch(/^chat_ready\{service="gateway"\} 0$/m);
    expect(down).toMatch(/^chat_dependency_up\{dependency="postgres",service="gateway"\} 0$/m);
    expect(down).toMatch(/^chat_dependency_up\{dependency="redis",service="gateway"\} 1$/m);
    expect((await endpoints('GET', '/health/ready'))?.status).toBe(503);
  });

  it('reports a stopping service as not ready while its dependencies are up', async () => {
    const body = await scrape({ service: 'api', registry: createRegistry('api'), logger, checks: { redis: async () => 'PONG' }, isStopping: () => true });
    expect(body).toMatch(/^chat_ready\{service="api"\} 0$/m);
    expect(body).toMatch(/^chat_dependency_up\{dependency="redis",service="api"\} 1$/m);
  });

  it('counts a check slower than readyTimeoutMs as down', async () => {
    const body = await scrape({
      service: 'bot-worker',
      registry: createRegistry('bot-worker'),
      logger,
      readyTimeoutMs: 50,
      checks: { redis: () => new Promise<void>(() => undefined) },
    });
    expect(body).toMatch(/^chat_dependency_up\{dependency="redis",service="bot-worker"\} 0$/m);
  });

  it('registers its gauges once per registry, however many status endpoints share it', async () => {
    const registry = createRegistry('api');
    statusEndpoints({ service: 'api', registry, logger, checks: {} });
    const body = await scrape({ service: 'api', registry, logger, checks: {} });
    expect(body.match(/^# TYPE chat_ready gauge$/gm)).toHaveLength(1);
  });
});
