import { describe, expect, it } from 'vitest';
import { createRedis, REDIS_COMMAND_TIMEOUT_MS } from './client.js';

describe('createRedis', () => {
  it('times commands out on command connections only, never on those that must wait (worker, subscriber)', () => {
    const url = 'redis://127.0.0.1:1';
    const made = {
      commands: createRedis(url, { lazyConnect: true }),
      worker: createRedis(url, { lazyConnect: true, forWorker: true }),
      subscriber: createRedis(url, { lazyConnect: true, forSubscriber: true }),
      waitsByHand: createRedis(url, { lazyConnect: true, maxRetriesPerRequest: null }),
      explicit: createRedis(url, { lazyConnect: true, commandTimeout: 250 }),
    };
    const settings = Object.fromEntries(
      Object.entries(made).map(([name, c]) => [name, [c.options.commandTimeout, c.options.maxRetriesPerRequest, c.options.enableAutoPipelining]]),
    );
    expect(settings).toEqual({
      // No auto-pipelining: a queued pipeline's timeout would only start once the one before it is answered.
      commands: [REDIS_COMMAND_TIMEOUT_MS, 2, false],
      worker: [undefined, null, true],
      subscriber: [undefined, null, true],
      waitsByHand: [undefined, null, true],
      explicit: [250, 2, false],
    });
    for (const c of Object.values(made)) c.disconnect();
  });
});
