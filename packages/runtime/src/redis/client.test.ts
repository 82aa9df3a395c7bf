import { describe, expect, it } from 'vitest';
import { Cluster, createRedis, createSubscriber, Redis, REDIS_COMMAND_TIMEOUT_MS, redisOptionsOf } from './client.js';
import { ClusterSubscriber } from './cluster-subscriber.js';

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
      Object.entries(made).map(([name, c]) => {
        const options = redisOptionsOf(c);
        return [name, [options.commandTimeout, options.maxRetriesPerRequest, options.enableAutoPipelining]];
      }),
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

  it("makes a cluster client for REDIS_CLUSTER_NODES, with the URL's credentials and timeouts as above; subscribers come from createSubscriber", () => {
    const target = { url: 'redis://app:s3cret@ignored:6379', clusterNodes: ['10.0.0.1:7001', '[::1]:7002'] };
    const commands = createRedis(target, { lazyConnect: true });
    try {
      expect(commands).toBeInstanceOf(Cluster);
      const c = commands as Cluster;
      expect(c['startupNodes']).toEqual([
        { host: '10.0.0.1', port: 7001 },
        { host: '::1', port: 7002 },
      ]);
      expect(redisOptionsOf(c)).toMatchObject({ username: 'app', password: 's3cret', commandTimeout: REDIS_COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 2 });
      expect(() => createRedis(target, { forSubscriber: true })).toThrow(/createSubscriber/);
    } finally {
      commands.disconnect();
    }
    const single = createSubscriber('redis://127.0.0.1:1', { lazyConnect: true });
    expect(single).toBeInstanceOf(Redis);
    expect(redisOptionsOf(single as unknown as Redis)).toMatchObject({ maxRetriesPerRequest: null });
    single.disconnect();
    const onCluster = createSubscriber(target);
    expect(onCluster).toBeInstanceOf(ClusterSubscriber);
    onCluster.on('error', () => undefined);
    onCluster.disconnect();
  });
});
