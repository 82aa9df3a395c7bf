import type { RedisTarget } from '@chat/runtime';
import { startNginx, type NginxServer } from './nginx.js';
import { startRedisCluster, type RedisCluster } from './redis-cluster.js';
import { startRedis, type RedisServer } from './redis.js';
import { startService, type RunningService } from './services.js';
import { testkitEnv } from './testkit.config.js';

export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef';

export interface ClusterOptions {
  /** PostgreSQL URL of a migrated database (see `useTestDatabase`). */
  databaseUrl: string;
  /** An existing Redis; a private one is started (and stopped) when omitted. */
  redisUrl?: string;
  /**
   * Start a private Redis Cluster of this many masters (≥ 3) instead of a single Redis.
   * @default CHAT_REDIS_SHARDS from the environment (how `npm test` runs the cluster suites a second time), else none
   */
  redisShards?: number;
  /** Replicas per master of that cluster. @default 0 */
  redisReplicas?: number;
  /** @default 2 */
  gateways?: number;
  /** Bot workers. @default 0 */
  workers?: number;
  /** Start nginx in front. @default true */
  nginx?: boolean;
  /** Extra environment for every service, or per service. */
  env?: Record<string, string>;
  apiEnv?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
  workerEnv?: Record<string, string>;
  echo?: boolean;
}

export interface Cluster {
  /** The single Redis's URL, or a cluster node's (the services use `redisTarget`). */
  redisUrl: string;
  /** Where the services' Redis is: what `createRedis` takes. */
  redisTarget: RedisTarget;
  redis: RedisServer | undefined;
  redisCluster: RedisCluster | undefined;
  api: RunningService;
  gateways: RunningService[];
  workers: RunningService[];
  nginx: NginxServer | undefined;
  /** nginx's URL, or the API's when there is no nginx. */
  url: string;
  /** Starts one more gateway (and reloads nginx). */
  addGateway(): Promise<RunningService>;
  addWorker(): Promise<RunningService>;
  stop(): Promise<void>;
}

/** The whole cluster as separate processes: API, gateways, workers and nginx on free ports. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const shards = options.redisUrl ? undefined : (options.redisShards ?? testkitEnv.redisShards());
  const redisCluster = shards ? await startRedisCluster({ masters: shards, replicasPerMaster: options.redisReplicas ?? 0 }) : undefined;
  const redis = options.redisUrl || redisCluster ? undefined : await startRedis();
  const redisUrl = options.redisUrl ?? redisCluster?.url ?? redis!.url;
  const redisTarget: RedisTarget = { url: redisUrl, clusterNodes: redisCluster?.clusterNodes };
  const stopRedis = async (): Promise<void> => {
    await redis?.stop();
    await redisCluster?.stop();
  };
  const base = {
    REDIS_URL: redisUrl,
    ...(redisCluster ? { REDIS_CLUSTER_NODES: redisCluster.clusterNodes.join(',') } : {}),
    DATABASE_URL: options.databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    CORS_ORIGINS: 'http://localhost:8080,http://127.0.0.1:8080',
    ...options.env,
  };
  const gateways: RunningService[] = [];
  const workers: RunningService[] = [];
  let nginx: NginxServer | undefined;
  let counter = 0;
  const targets = () => gateways.map((g) => ({ replicaId: g.env.REPLICA_ID!, address: `127.0.0.1:${g.port}` }));

  const addGateway = async (): Promise<RunningService> => {
    counter += 1;
    const gateway = await startService('gateway', {
      label: `gateway-${counter}`,
      env: { ...base, REPLICA_ID: `gw${counter}`, ...options.gatewayEnv },
      echo: options.echo,
    });
    gateways.push(gateway);
    if (nginx) await nginx.reload(targets());
    return gateway;
  };
  const addWorker = async (): Promise<RunningService> => {
    const worker = await startService('bot-worker', {
      label: `bot-worker-${workers.length + 1}`,
      env: { ...base, ...options.workerEnv },
      echo: options.echo,
    });
    workers.push(worker);
    return worker;
  };

  try {
    const api = await startService('api', { env: { ...base, TRUST_PROXY: 'true', ...options.apiEnv }, echo: options.echo });
    const started: Promise<unknown>[] = [];
    for (let i = 0; i < (options.gateways ?? 2); i++) started.push(addGateway());
    for (let i = 0; i < (options.workers ?? 0); i++) started.push(addWorker());
    await Promise.all(started);
    gateways.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    if (options.nginx ?? true) {
      nginx = await startNginx({ apiAddress: `127.0.0.1:${api.port}`, gateways: targets(), echo: options.echo });
    }
    let stopped: Promise<void> | undefined;
    return {
      redisUrl,
      redisTarget,
      redis,
      redisCluster,
      api,
      gateways,
      workers,
      get nginx() {
        return nginx;
      },
      get url() {
        return nginx?.url ?? api.url;
      },
      addGateway,
      addWorker,
      stop: () =>
        (stopped ??= (async () => {
          await nginx?.stop();
          await Promise.all([...gateways, ...workers, api].map((s) => s.stop(5_000)));
          await stopRedis();
        })()),
    };
  } catch (err) {
    await Promise.all([...gateways, ...workers].map((s) => s.stop(1_000)));
    await stopRedis();
    throw err;
  }
}
