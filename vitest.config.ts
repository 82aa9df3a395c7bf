import { defineConfig } from 'vitest/config';

/** The suites of the whole cluster that must hold on a Redis Cluster too: they run a second time on a three-master one. */
const onRedisCluster = ['test/cluster/**/*.test.ts', 'test/bots/commands.e2e.test.ts'];

export default defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    typecheck: { enabled: false },
    projects: [
      {
        extends: true,
        test: {
          name: 'single-redis',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts', 'loadtest/**/*.test.ts', 'web/test/**/*.test.ts', 'deploy/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'redis-cluster',
          include: onRedisCluster,
          // A failover test starts its own cluster with replicas; it runs once, in the other project.
          exclude: ['**/node_modules/**', '**/dist/**', 'test/cluster/redis-failover.test.ts'],
          env: { CHAT_REDIS_SHARDS: '3' },
        },
      },
    ],
  },
});
