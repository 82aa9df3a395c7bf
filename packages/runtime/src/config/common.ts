import type { RedisTarget } from '../redis/client.js';
import { env, type SecretRule } from './env.js';

export const jwtSecretRule: SecretRule = { name: 'JWT_SECRET', devDefault: 'development-only-jwt-secret-change-me', minLength: 16 };

/** What every service reads: where it runs, what it logs, where Redis and PostgreSQL are, and its own port. */
export const serviceShape = (defaultPort: number) => ({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  REDIS_URL: env.url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: env.hostPorts(),
  DATABASE_URL: env.url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/chat'),
  PORT: env.port(defaultPort),
  HOST: env.optionalString(),
});

/** What the services that take clients' tokens and browsers' requests read besides (api, gateway). */
export const clientFacingShape = {
  JWT_TTL: env.seconds('24h'),
  CORS_ORIGINS: env.list('http://localhost:8080,http://127.0.0.1:8080'),
};

export interface ServiceConfig {
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** A single Redis (`REDIS_URL`), or a Redis Cluster (`REDIS_CLUSTER_NODES`, with REDIS_URL's credentials). */
  redis: RedisTarget;
  databaseUrl: string;
  port: number;
  host: string;
}

export interface ClientFacingConfig {
  /** HS256 signing key. */
  jwtSecret: string;
  /** Token lifetime in seconds. */
  jwtTtl: number;
  /** Browser origins allowed (CORS, and WebSocket upgrades). */
  corsOrigins: string[];
}

type Parsed<S> = { [K in keyof S]: S[K] extends { _zod: { output: infer O } } ? O : never };

export const serviceFields = (e: Parsed<ReturnType<typeof serviceShape>>): ServiceConfig => ({
  nodeEnv: e.NODE_ENV,
  logLevel: e.LOG_LEVEL,
  redis: { url: e.REDIS_URL, clusterNodes: e.REDIS_CLUSTER_NODES },
  databaseUrl: e.DATABASE_URL,
  port: e.PORT,
  host: e.HOST ?? '0.0.0.0',
});

export const clientFacingFields = (e: Parsed<typeof clientFacingShape> & Record<string, unknown>): ClientFacingConfig => ({
  jwtSecret: String(e.JWT_SECRET),
  jwtTtl: e.JWT_TTL,
  corsOrigins: e.CORS_ORIGINS,
});
