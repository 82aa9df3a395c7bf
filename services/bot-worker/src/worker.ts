import { UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import { QUEUE_AI, QUEUE_STOCK, type AiJob, type BotJobResult, type StockJob } from '@chat/contract';
import { createRegistry, type Logger, type Redis, type Registry } from '@chat/runtime';
import { type Orm } from '@chat/store';
import { createAiClient, type AiClient } from './ai/ai.client.js';
import { createAiProcessor } from './ai/ai.worker.js';
import { exponentialBackoff } from './jobs/backoff.js';
import { createFinalFailureReplier } from './jobs/final-failure.js';
import { isFinalAttempt } from './jobs/job-data.js';
import { createJobMetrics, type JobMetrics } from './jobs/job.metrics.js';
import { createQuoteProcessor } from './quotes/quote.worker.js';
import { createStooqClient, type StooqClient } from './quotes/stooq.client.js';
import { createReplyPublisher } from './replies/reply.publisher.js';
import { safeError } from './safe-error.js';

export interface BotWorkerDeps {
  /** BullMQ's connection; must be created with `maxRetriesPerRequest: null` (`createRedis(url, {forWorker: true})`). */
  connection: Redis;
  /** Publishes the room broadcasts (`@socket.io/redis-emitter`, key `socket.io`). */
  publisher: Redis;
  orm: Orm;
  logger: Logger;
  /** @default a new registry labelled `bot-worker` */
  registry?: Registry;
  /** @default a Stooq client from `stooqUrl` / `stooqTimeoutMs` */
  stooq?: StooqClient;
  /** @default an OpenAI client when `openaiApiKey` is set, else none (AI answers "not configured") */
  ai?: AiClient;
}

export interface BotWorkerOptions {
  /** @default 'https://stooq.com' */
  stooqUrl?: string;
  /** @default 5000 */
  stooqTimeoutMs?: number;
  openaiApiKey?: string | undefined;
  openaiBaseUrl?: string | undefined;
  /** @default 'gpt-4o-mini' */
  openaiModel?: string;
  /** @default 60000 */
  aiTimeoutMs?: number;
  /** Character budget of the `/ai` room context. @default 8000 */
  aiContextChars?: number;
  /** Character budget of the `/summary` transcript. @default 60000 */
  aiSummaryChars?: number;
  /** @default 8 */
  stockConcurrency?: number;
  /** @default 4 */
  aiConcurrency?: number;
  /** Jobs per second the stock queue may start across all workers; 0 is unlimited. @default 0 */
  stockRatePerSecond?: number;
  /** @default 0 */
  aiRatePerSecond?: number;
  /** First retry delay; each later one doubles. @default 1000 */
  backoffMs?: number;
  /** @default 30000 */
  lockDurationMs?: number;
  /** @default 30000 */
  stalledIntervalMs?: number;
  /** Times a job may stall (its worker died) and still be run again; BullMQ's own default is 1. @default 3 */
  maxStalledCount?: number;
}

const defaults: Required<Omit<BotWorkerOptions, 'openaiApiKey' | 'openaiBaseUrl'>> = {
  stooqUrl: 'https://stooq.com',
  stooqTimeoutMs: 5000,
  openaiModel: 'gpt-4o-mini',
  aiTimeoutMs: 60_000,
  aiContextChars: 8000,
  aiSummaryChars: 60_000,
  stockConcurrency: 8,
  aiConcurrency: 4,
  stockRatePerSecond: 0,
  aiRatePerSecond: 0,
  backoffMs: 1000,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 3,
};

const READY_TIMEOUT_MS = 2000;

export interface BotWorker {
  /** Starts consuming both queues; resolves once the workers are connected. */
  start(): Promise<void>;
  /** Stops taking jobs and waits for the running ones to finish; idempotent. Closes no dependency. */
  stop(): Promise<void>;
  /** Redis and PostgreSQL answer. */
  ready(): Promise<boolean>;
  registry: Registry;
  metrics: JobMetrics;
}

/**
 * The bot worker: one BullMQ worker per queue (`stock`, `ai`) with its own
 * concurrency and rate limit. Retries use the queues' `custom` backoff, decided here.
 */
export function createBotWorker(deps: BotWorkerDeps, options: BotWorkerOptions = {}): BotWorker {
  const opts = { ...defaults, ...stripUndefined(options) };
  const logger = deps.logger.child({ module: 'bot-worker' });
  const registry = deps.registry ?? createRegistry('bot-worker');
  const metrics = createJobMetrics(registry);
  const knex = deps.orm.em.getKnex();
  const replies = createReplyPublisher({ knex, publisher: deps.publisher, logger: deps.logger });
  const stooq = deps.stooq ?? createStooqClient({ baseUrl: opts.stooqUrl.replace(/\/+$/, ''), timeoutMs: opts.stooqTimeoutMs });
  const ai =
    deps.ai ??
    (opts.openaiApiKey
      ? createAiClient({ apiKey: opts.openaiApiKey, baseUrl: opts.openaiBaseUrl, model: opts.openaiModel, timeoutMs: opts.aiTimeoutMs })
      : undefined);
  if (!ai) logger.warn('OPENAI_API_KEY is not set: AI commands will answer that the AI is not configured');

  const processQuote = createQuoteProcessor({
    stooq,
    replies,
    logger: deps.logger,
    onReply: (outcome) => metrics.replies.inc({ queue: QUEUE_STOCK, outcome }),
  });
  const processAi = createAiProcessor({
    ai,
    knex,
    replies,
    logger: deps.logger,
    contextChars: opts.aiContextChars,
    summaryChars: opts.aiSummaryChars,
    onReply: (outcome) => metrics.replies.inc({ queue: QUEUE_AI, outcome }),
  });

  const finalFailures = createFinalFailureReplier({
    replies,
    logger: deps.logger,
    retryDelayMs: Math.max(opts.backoffMs, 10),
    onReply: (queue, outcome) => metrics.replies.inc({ queue, outcome }),
  });

  const base = (concurrency: number, ratePerSecond: number): WorkerOptions => ({
    connection: deps.connection,
    autorun: false,
    concurrency,
    ...(ratePerSecond > 0 ? { limiter: { max: ratePerSecond, duration: 1000 } } : {}),
    lockDuration: opts.lockDurationMs,
    stalledInterval: opts.stalledIntervalMs,
    maxStalledCount: opts.maxStalledCount,
    settings: { backoffStrategy: exponentialBackoff(opts.backoffMs) },
  });

  const timed =
    <J extends Job>(queue: string, run: (job: J) => Promise<BotJobResult>) =>
    async (job: J): Promise<BotJobResult> => {
      const end = metrics.duration.startTimer({ queue });
      try {
        const result = await run(job);
        end({ status: 'completed' });
        return result;
      } catch (err) {
        end({ status: 'failed' });
        throw err;
      }
    };

  let workers: Pick<Worker, 'close' | 'name' | 'run' | 'waitUntilReady'>[] = [];
  let started: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;

  const watch = <D, N extends string>(worker: Worker<D, BotJobResult, N>, queue: string): void => {
    const log = logger.child({ queue });
    worker.on('completed', () => metrics.completed.inc({ queue }));
    worker.on('failed', (job, err) => {
      const final = !job || err instanceof UnrecoverableError || isFinalAttempt({ attemptsMade: job.attemptsMade - 1, opts: job.opts });
      metrics.failed.inc({ queue, final: String(final) });
      if (!final) return;
      log.error({ jobId: job?.id, err: safeError(err) }, 'job failed for good');
      if (job) finalFailures.answer(queue, job, err);
    });
    worker.on('stalled', (jobId) => log.warn({ jobId }, 'job stalled (its worker died or hung); it will be retried'));
    // A lost Redis connection is retried by ioredis; log it instead of crashing.
    worker.on('error', (err) => log.error({ err: safeError(err) }, 'worker error'));
  };

  return {
    registry,
    metrics,
    start: () =>
      (started ??= (async () => {
        const stock = new Worker<StockJob, BotJobResult, 'stock'>(
          QUEUE_STOCK,
          timed(QUEUE_STOCK, processQuote),
          base(opts.stockConcurrency, opts.stockRatePerSecond),
        );
        const aiWorker = new Worker<AiJob, BotJobResult, 'ai' | 'summary'>(
          QUEUE_AI,
          timed(QUEUE_AI, processAi),
          base(opts.aiConcurrency, opts.aiRatePerSecond),
        );
        workers = [stock, aiWorker];
        watch(stock, QUEUE_STOCK);
        watch(aiWorker, QUEUE_AI);
        await Promise.all(workers.map((w) => w.waitUntilReady()));
        for (const w of workers) {
          w.run().catch((err: unknown) => logger.error({ err, queue: w.name }, 'worker stopped with an error'));
        }
        logger.info({ stockConcurrency: opts.stockConcurrency, aiConcurrency: opts.aiConcurrency }, 'bot worker started');
      })()),
    stop: () =>
      (stopped ??= (async () => {
        await started?.catch(() => undefined);
        // close() stops fetching and waits for the jobs already running.
        const results = await Promise.allSettled(workers.map((w) => w.close()));
        for (const r of results) if (r.status === 'rejected') logger.error({ err: r.reason }, 'worker did not close cleanly');
        await finalFailures.idle();
        logger.info('bot worker stopped');
      })()),
    async ready() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      });
      try {
        // The publisher, not BullMQ's connection: that one queues commands forever while Redis is away.
        const [pong] = await Promise.race([Promise.all([deps.publisher.ping(), knex.raw('select 1')]), timeout]);
        return pong === 'PONG';
      } catch (err) {
        logger.warn({ err }, 'readiness check failed');
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
