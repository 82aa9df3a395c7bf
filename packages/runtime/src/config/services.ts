import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { env, parseEnv, type Env, type SecretRule } from './env.js';

const jwtSecret: SecretRule = { name: 'JWT_SECRET', devDefault: 'development-only-jwt-secret-change-me', minLength: 16 };

const common = {
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  REDIS_URL: env.url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  DATABASE_URL: env.url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/chat'),
};

export interface CommonConfig {
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  redisUrl: string;
  databaseUrl: string;
}

export interface AuthConfig {
  jwtSecret: string;
  /** Token lifetime in seconds. */
  jwtTtl: number;
}

export interface ApiConfig extends CommonConfig, AuthConfig {
  port: number;
  host: string;
  /** Failed logins allowed per 5 minutes, per IP and per username. */
  loginLimit: number;
  /** Largest JSON body, as `bytes` reads it: `65536`, `512b`, `16kb`, `1mb`. */
  bodyLimit: string;
  /** Trust X-Forwarded-For (set when behind nginx). */
  trustProxy: boolean;
  corsOrigins: string[];
}

const apiShape = {
  ...common,
  PORT: env.port(3000),
  HOST: env.optionalString(),
  JWT_TTL: env.seconds('24h'),
  RATE_LIMIT_LOGIN: env.int(5),
  BODY_LIMIT: env.byteSize('16kb'),
  TRUST_PROXY: env.bool(false),
  CORS_ORIGINS: env.list('http://localhost:8080,http://127.0.0.1:8080'),
};

export function loadApiConfig(source: Env = process.env): ApiConfig {
  const e = parseEnv(apiShape, source, [jwtSecret]);
  return {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    jwtSecret: String(e.JWT_SECRET),
    jwtTtl: e.JWT_TTL,
    port: e.PORT,
    host: e.HOST ?? '0.0.0.0',
    loginLimit: e.RATE_LIMIT_LOGIN,
    bodyLimit: e.BODY_LIMIT,
    trustProxy: e.TRUST_PROXY,
    corsOrigins: e.CORS_ORIGINS,
  };
}

export interface GatewayConfig extends CommonConfig, AuthConfig {
  port: number;
  host: string;
  corsOrigins: string[];
  /** Messages per minute per user, across replicas. */
  messageLimit: number;
  /** Commands per minute per user, across replicas. */
  commandLimit: number;
  /** This replica's id; it also prefixes Engine.IO session ids for sticky routing. */
  replicaId: string;
  /** A dead replica's presence lapses after this many seconds. */
  presenceTtl: number;
  maxHttpBufferSize: number;
  /** Longest a send waits to be grouped with others into one commit, in ms. */
  commitDelayMs: number;
}

const gatewayShape = {
  ...common,
  PORT: env.port(3101),
  HOST: env.optionalString(),
  JWT_TTL: env.seconds('24h'),
  CORS_ORIGINS: env.list('http://localhost:8080,http://127.0.0.1:8080'),
  RATE_LIMIT_MESSAGES: env.int(60),
  RATE_LIMIT_COMMANDS: env.int(10),
  REPLICA_ID: env.optionalString(),
  PRESENCE_TTL: env.seconds('10s'),
  MAX_HTTP_BUFFER_SIZE: env.int(64 * 1024),
  COMMIT_DELAY_MS: env.int(2, 0, 1000),
};

export function loadGatewayConfig(source: Env = process.env): GatewayConfig {
  const e = parseEnv(gatewayShape, source, [jwtSecret]);
  const replicaId = e.REPLICA_ID ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
  return {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    jwtSecret: String(e.JWT_SECRET),
    jwtTtl: e.JWT_TTL,
    port: e.PORT,
    host: e.HOST ?? '0.0.0.0',
    corsOrigins: e.CORS_ORIGINS,
    messageLimit: e.RATE_LIMIT_MESSAGES,
    commandLimit: e.RATE_LIMIT_COMMANDS,
    replicaId: replicaId.replace(/[^A-Za-z0-9_-]/g, '-'),
    presenceTtl: e.PRESENCE_TTL,
    maxHttpBufferSize: e.MAX_HTTP_BUFFER_SIZE,
    commitDelayMs: e.COMMIT_DELAY_MS,
  };
}

export interface WorkerConfig extends CommonConfig {
  /** Port of /health and /metrics. */
  port: number;
  host: string;
  stooqUrl: string;
  stooqTimeoutMs: number;
  openaiApiKey: string | undefined;
  openaiBaseUrl: string | undefined;
  openaiModel: string;
  /** Character budget of the room context sent with `/ai`. */
  aiContextChars: number;
  aiTimeoutMs: number;
  stockConcurrency: number;
  aiConcurrency: number;
  /** Jobs per second each queue may start, across workers (0: unlimited). */
  stockRatePerSecond: number;
  aiRatePerSecond: number;
  /** Character budget of the transcript sent with `/summary`. */
  aiSummaryChars: number;
  /** First retry delay of a failed job in ms; each later retry doubles it. */
  backoffMs: number;
  /** A job whose worker stops renewing its lock (a crash) is taken back after this many ms. */
  lockDurationMs: number;
  /** How often each worker looks for stalled jobs, in ms. */
  stalledIntervalMs: number;
  /** How many times a job may stall (its worker died) and still be run again; then it fails. */
  maxStalledCount: number;
}

const workerShape = {
  ...common,
  PORT: env.port(3201),
  HOST: env.optionalString(),
  STOOQ_URL: env.url(['http:', 'https:'], 'https://stooq.com'),
  STOOQ_TIMEOUT_MS: env.int(5000),
  OPENAI_API_KEY: env.optionalString(),
  OPENAI_BASE_URL: env.url(['http:', 'https:']).optional(),
  OPENAI_MODEL: env.optionalString(),
  AI_CONTEXT_CHARS: env.int(8000, 0),
  AI_TIMEOUT_MS: env.int(60_000),
  STOCK_CONCURRENCY: env.int(8),
  AI_CONCURRENCY: env.int(4),
  STOCK_RATE_PER_SECOND: env.int(0, 0),
  AI_RATE_PER_SECOND: env.int(0, 0),
  AI_SUMMARY_CHARS: env.int(60_000, 0),
  BOT_BACKOFF_MS: env.int(1000, 0),
  BOT_LOCK_DURATION_MS: env.int(30_000, 100),
  BOT_STALLED_INTERVAL_MS: env.int(30_000, 100),
  BOT_MAX_STALLED_COUNT: env.int(3, 0, 100),
};

export function loadWorkerConfig(source: Env = process.env): WorkerConfig {
  const e = parseEnv(workerShape, source);
  return {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    port: e.PORT,
    host: e.HOST ?? '0.0.0.0',
    stooqUrl: e.STOOQ_URL.replace(/\/+$/, ''),
    stooqTimeoutMs: e.STOOQ_TIMEOUT_MS,
    openaiApiKey: e.OPENAI_API_KEY,
    openaiBaseUrl: e.OPENAI_BASE_URL,
    openaiModel: e.OPENAI_MODEL ?? 'gpt-4o-mini',
    aiContextChars: e.AI_CONTEXT_CHARS,
    aiTimeoutMs: e.AI_TIMEOUT_MS,
    stockConcurrency: e.STOCK_CONCURRENCY,
    aiConcurrency: e.AI_CONCURRENCY,
    stockRatePerSecond: e.STOCK_RATE_PER_SECOND,
    aiRatePerSecond: e.AI_RATE_PER_SECOND,
    aiSummaryChars: e.AI_SUMMARY_CHARS,
    backoffMs: e.BOT_BACKOFF_MS,
    lockDurationMs: e.BOT_LOCK_DURATION_MS,
    stalledIntervalMs: e.BOT_STALLED_INTERVAL_MS,
    maxStalledCount: e.BOT_MAX_STALLED_COUNT,
  };
}

/**
 * Every variable some service reads (secrets included): what `npm run up`
 * passes on from its own environment to the services it starts.
 */
export const serviceVariableNames: readonly string[] = [
  ...new Set([...Object.keys(apiShape), ...Object.keys(gatewayShape), ...Object.keys(workerShape), jwtSecret.name]),
].sort();
