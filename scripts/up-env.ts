import { env, parseEnv, type Env } from '@chat/runtime';

export interface UpEnv {
  gateways: number;
  workers: number;
  /** nginx's public port. */
  nginxPort: number;
  /** An existing Redis / PostgreSQL to use instead of private ones under .data/. */
  redisUrl: string | undefined;
  /** 1: a single private Redis; 3 or more: a private Redis Cluster of that many masters. */
  redisShards: number;
  databaseUrl: string | undefined;
  /**
   * How long a bot worker may take to stop on Ctrl-C: longer than its AI
   * timeout, so an AI job that is running can finish and be answered.
   */
  workerStopGraceMs: number;
  /** PROMETHEUS=1: also run Prometheus on the cluster, with the alert rules of deploy/prometheus. */
  prometheus: boolean;
  prometheusPort: number;
}

/** Past the AI timeout: the worker also has to store and broadcast the answer. */
const WORKER_STOP_MARGIN_MS = 10_000;

/** `npm run up`'s own variables, validated like the services' (a bad one names itself, exit 78). */
export function loadUpEnv(source: Env): UpEnv {
  const e = parseEnv(
    {
      GATEWAYS: env.int(2, 1, 32),
      WORKERS: env.int(1, 1, 32),
      NGINX_PORT: env.port(8080).refine((p) => p > 0, { message: 'must be a port number from 1 to 65535' }),
      REDIS_URL: env.url(['redis:', 'rediss:']).optional(),
      REDIS_SHARDS: env.int(1, 1, 16).refine((n) => n !== 2, { message: 'must be 1 (a single Redis) or 3 or more (a Redis Cluster)' }),
      DATABASE_URL: env.url(['postgres:', 'postgresql:']).optional(),
      // The bot workers' own setting (default 60 s), read here to size their stop grace.
      AI_TIMEOUT_MS: env.int(60_000),
      PROMETHEUS: env.bool(false),
      PROMETHEUS_PORT: env.port(9090).refine((p) => p > 0, { message: 'must be a port number from 1 to 65535' }),
    },
    source,
  );
  return {
    gateways: e.GATEWAYS,
    workers: e.WORKERS,
    nginxPort: e.NGINX_PORT,
    redisUrl: e.REDIS_URL,
    redisShards: e.REDIS_SHARDS,
    databaseUrl: e.DATABASE_URL,
    workerStopGraceMs: e.AI_TIMEOUT_MS + WORKER_STOP_MARGIN_MS,
    prometheus: e.PROMETHEUS,
    prometheusPort: e.PROMETHEUS_PORT,
  };
}
