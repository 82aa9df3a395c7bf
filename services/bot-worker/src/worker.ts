import { UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import { QUEUE_AI, QUEUE_STOCK, type AiJob, type BotJobResult, type StockJob } from '@chat/contract';
import { createRegistry, redisKeys, safeError, type Logger, type RedisClient, type Registry, type WorkerConfig } from '@chat/runtime';
import { createStore, type Orm } from '@chat/store';
import { createAiClient, type AiClient } from './ai/ai.client.js';
import { createAiProcessor } from './ai/ai.worker.js';
import { exponentialBackoff } from './jobs/backoff.js';
import { createFinalFailureReplier } from './jobs/final-failure.js';
import { isFinalAttempt } from './jobs/job-data.js';
import { createJobMetrics, type JobMetrics } from './jobs/job.metrics.js';
import { createQueueDepthMetrics } from './jobs/queue.metrics.js';
import { createQuoteProcessor } from './quotes/quote.worker.js';
import { createStooqClient, type StooqClient } from './quotes/stooq.client.js';
import { createReplyPublisher } from './replies/reply.publisher.js';

export interface BotWorkerDeps {
  /** BullMQ's connection; must be created with `maxRetriesPerRequest: null` (`createRedis(url, {forWorker: true})`). */
  connection: RedisClient;
  /** Publishes replies and AI deltas on their rooms' channels. */
  publisher: RedisClient;
  orm: Orm;
  logger: Logger;
  /** @default a new registry labelled `bot-worker` */
  registry?: Registry;
  /** @default a Stooq client from `stooqUrl` / `stooqTimeoutMs` */
  stooq?: StooqClient;
  /** @default an OpenAI client when `openaiApiKey` is set, else none (AI answers "not configured") */
  ai?: AiClient;
}

/** The worker's settings: the bot worker's part of the configuration `loadWorkerConfig` reads (its defaults live there). */
export type BotWorkerConfig = Omit<WorkerConfig, 'nodeEnv' | 'logLevel' | 'redis' | 'databaseUrl' | 'port' | 'host'>;

export interface BotWorker {
  /** Starts consuming both queues; resolves once the workers are connected. */
  start(): Promise<void>;
  /** Stops taking jobs, waits for the running ones to finish and closes the store it made; idempotent. Closes no dependency. */
  stop(): Promise<void>;
  /** What `/health/ready` probes: the publisher's Redis (BullMQ's connection queues commands forever while Redis is away) and PostgreSQL. */
  checks: { redis: () => Promise<unknown>; postgres: () => Promise<unknown> };
  registry: Registry;
  metrics: JobMetrics;
}

/**
 * The bot worker: one BullMQ worker per queue (`stock`, `ai`) with its own
 * concurrency and rate limit. Retries use the queues' `custom` backoff, decided here.
 */
export function createBotWorker(deps: BotWorkerDeps, config: BotWorkerConfig): BotWorker {
  const logger = deps.logger.child({ module: 'bot-worker' });
  const registry = deps.registry ?? createRegistry('bot-worker');
  const metrics = createJobMetrics(registry);
  // On the publisher: its commands fail while Redis is away, where BullMQ's connection (which waits
  // forever) would pile up every scrape's until Redis came back.
  const queueDepth = createQueueDepthMetrics(registry, { connection: deps.publisher, logger: deps.logger });
  // One reply stored or read per job running at once.
  const store = createStore(deps.orm, { messagePoolMax: config.stockConcurrency + config.aiConcurrency });
  const replies = createReplyPublisher({ messages: store.messages, publisher: deps.publisher, logger: deps.logger });
  const stooq = deps.stooq ?? createStooqClient({ baseUrl: config.stooqUrl, timeoutMs: config.stooqTimeoutMs });
  const ai =
    deps.ai ??
    (config.openaiApiKey
      ? createAiClient({ apiKey: config.openaiApiKey, baseUrl: config.openaiBaseUrl, model: config.openaiModel, timeoutMs: config.aiTimeoutMs })
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
    messages: store.messages,
    replies,
    logger: deps.logger,
    contextChars: config.aiContextChars,
    summaryChars: config.aiSummaryChars,
    onReply: (outcome) => metrics.replies.inc({ queue: QUEUE_AI, outcome }),
  });

  const finalFailures = createFinalFailureReplier({
    replies,
    logger: deps.logger,
    retryDelayMs: Math.max(config.backoffMs, 10),
    onReply: (queue, outcome) => metrics.replies.inc({ queue, outcome }),
  });

  const base = (concurrency: number, ratePerSecond: number): WorkerOptions => ({
    connection: deps.connection,
    prefix: redisKeys.queuePrefix,
    autorun: false,
    concurrency,
    ...(ratePerSecond > 0 ? { limiter: { max: ratePerSecond, duration: 1000 } } : {}),
    lockDuration: config.lockDurationMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: config.maxStalledCount,
    settings: { backoffStrategy: exponentialBackoff(config.backoffMs) },
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
          base(config.stockConcurrency, config.stockRatePerSecond),
        );
        const aiWorker = new Worker<AiJob, BotJobResult, 'ai' | 'summary'>(
          QUEUE_AI,
          timed(QUEUE_AI, processAi),
          base(config.aiConcurrency, config.aiRatePerSecond),
        );
        workers = [stock, aiWorker];
        watch(stock, QUEUE_STOCK);
        watch(aiWorker, QUEUE_AI);
        await Promise.all(workers.map((w) => w.waitUntilReady()));
        for (const w of workers) {
          w.run().catch((err: unknown) => logger.error({ err: safeError(err), queue: w.name }, 'worker stopped with an error'));
        }
        logger.info({ stockConcurrency: config.stockConcurrency, aiConcurrency: config.aiConcurrency }, 'bot worker started');
      })()),
    stop: () =>
      (stopped ??= (async () => {
        await started?.catch(() => undefined);
        // close() stops fetching and waits for the jobs already running.
        const results = await Promise.allSettled(workers.map((w) => w.close()));
        for (const r of results) if (r.status === 'rejected') logger.error({ err: safeError(r.reason) }, 'worker did not close cleanly');
        await finalFailures.idle();
        await queueDepth.close().catch((err: unknown) => logger.warn({ err: safeError(err) }, 'queue handles did not close cleanly'));
        await store.close();
        logger.info('bot worker stopped');
      })()),
    checks: { redis: () => deps.publisher.ping(), postgres: () => store.ping() },
  };
}
