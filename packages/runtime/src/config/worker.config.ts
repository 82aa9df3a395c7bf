import { serviceFields, serviceShape, type ServiceConfig } from './common.js';
import { env, parseEnv, type Env } from './env.js';

export interface WorkerConfig extends ServiceConfig {
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
  /** A job's lock lasts this many ms unless renewed (BullMQ renews it while the worker lives); a crashed worker's job is taken back once it lapses. */
  lockDurationMs: number;
  /** How often each worker looks for stalled jobs, in ms. */
  stalledIntervalMs: number;
  /** How many times a job may stall (its worker died) and still be run again; then it fails. */
  maxStalledCount: number;
}

export const workerShape = {
  // PORT serves /health, /health/ready and /metrics only.
  ...serviceShape(3201),
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
  // A worker that dies (SIGKILL, OOM, a lost node) stops renewing its jobs' locks (BullMQ renews
  // every lockDuration/4 to /2 while it lives); the lock lapses within 8 s and the next stalled
  // check, at most 3 s later, hands the job to another worker: answered within about 11 s of
  // the crash instead of a minute. The cost in Redis is in docs/deployment.md.
  BOT_LOCK_DURATION_MS: env.int(8_000, 100),
  BOT_STALLED_INTERVAL_MS: env.int(3_000, 100),
  BOT_MAX_STALLED_COUNT: env.int(3, 0, 100),
};

export function loadWorkerConfig(source: Env = process.env): WorkerConfig {
  const e = parseEnv(workerShape, source);
  return {
    ...serviceFields(e),
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
