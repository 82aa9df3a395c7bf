import { QUEUE_AI, QUEUE_STOCK } from '@chat/contract';
import { createCommandQueues, Gauge, safeError, withTimeout, type Logger, type RedisClient, type Registry } from '@chat/runtime';

/** The job states reported, in BullMQ's names. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export interface QueueDepthOptions {
  /** A non-blocking connection the queue handles share (the worker's publisher). */
  connection: RedisClient;
  logger: Logger;
  /**
   * Longest a scrape waits for Redis: /metrics must answer even while Redis does not.
   * @default 1000
   */
  timeoutMs?: number;
}

export interface QueueDepthMetrics {
  gauge: Gauge<'queue' | 'state'>;
  /** Lets go of the queue handles (not of the connection); idempotent. */
  close(): Promise<void>;
}

/**
 * `chat_bot_queue_jobs{queue,state}`: jobs per queue and state, counted when /metrics is
 * scraped (one getJobCounts per queue). Every worker reports the same queue-wide figures:
 * aggregate with max, not sum. When Redis does not answer in time the samples are left out
 * rather than repeating the last known counts as if they were current.
 */
export function createQueueDepthMetrics(registry: Registry, { connection, logger, timeoutMs = 1_000 }: QueueDepthOptions): QueueDepthMetrics {
  const log = logger.child({ module: 'queue-metrics' });
  const handles = createCommandQueues(connection);
  const queues = { [QUEUE_STOCK]: handles.stock, [QUEUE_AI]: handles.ai };
  // The connection's own listener logs Redis errors; without one here BullMQ prints them to the console.
  for (const queue of Object.values(queues)) queue.on('error', (err) => log.debug({ err: safeError(err), queue: queue.name }, 'queue handle error'));

  const gauge = new Gauge({
    name: 'chat_bot_queue_jobs',
    help: 'Bot jobs in each queue by state (waiting, active, delayed, failed), counted at scrape time; the same figures on every worker',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const counted = await Promise.allSettled(
        Object.entries(queues).map(async ([queue, q]) => ({ queue, counts: await withTimeout(q.getJobCounts(...QUEUE_STATES), timeoutMs) })),
      );
      this.reset();
      for (const result of counted) {
        if (result.status === 'rejected') {
          log.debug({ err: safeError(result.reason) }, 'queue depth not counted for this scrape');
          continue;
        }
        for (const state of QUEUE_STATES) this.set({ queue: result.value.queue, state }, result.value.counts[state] ?? 0);
      }
    },
  });
  return { gauge, close: () => handles.close() };
}
