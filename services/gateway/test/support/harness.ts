import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCommandQueues, createLogger, createRedis, createSubscriber, loadGatewayConfig, type CommandQueues, type GatewayConfig, type RedisClient, type ShardedSubscriber } from '@chat/runtime';
import { createOrm, createStore, type Orm, type OrmOptions, type Store } from '@chat/store';
import { TEST_JWT_SECRET } from '@chat/testkit';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { GatewayOptions } from '../../src/options.js';

export interface TestGateway {
  url: string;
  port: number;
  gateway: Gateway;
  config: GatewayConfig;
  orm: Orm;
  /** The test's own access to the database, for seeding and checks. */
  store: Store;
  redis: RedisClient;
  queues: CommandQueues;
  stop(): Promise<void>;
}

let replicas = 0;

export interface TestBacking {
  redisUrl: string;
  databaseUrl: string;
  /** PostgreSQL session timeouts of the gateway's pool. @default createOrm's */
  orm?: Pick<OrmOptions, 'statementTimeoutMs' | 'idleInTransactionTimeoutMs'>;
}

/** The real gateway in this process on a free port, with connections of its own. */
export async function startTestGateway(backing: TestBacking, env: Record<string, string> = {}, options: GatewayOptions = {}): Promise<TestGateway> {
  replicas += 1;
  const config = loadGatewayConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_URL: backing.redisUrl,
    DATABASE_URL: backing.databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    REPLICA_ID: `inproc${replicas}`,
    ...env,
  });
  const logger = createLogger({ service: 'gateway', level: config.logLevel });
  const orm = await createOrm({ ...backing.orm, databaseUrl: config.databaseUrl, poolMax: 5 });
  const redis = createRedis(config.redis);
  const subscriber = createSubscriber(config.redis);
  const queueConnection = createRedis(config.redis);
  const queues = createCommandQueues(queueConnection);
  const httpServer = createServer();
  const gateway = createGateway(httpServer, { config, orm, redis, subscriber, queues, logger }, options);
  await gateway.start();
  const store = createStore(orm, { messagePoolMax: 2 });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    gateway,
    config,
    orm,
    store,
    redis,
    queues,
    stop: () =>
      (stopped ??= (async () => {
        await gateway.stop();
        await queues.close();
        await store.close();
        await orm.close(true);
        await Promise.allSettled([redis.quit(), subscriber.quit(), queueConnection.quit()]);
      })()),
  };
}
