import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { QUEUE_AI, QUEUE_STOCK, type AiJob, type ParsedCommand, type StockJob, type UserRef } from '@chat/contract';
import { redisKeys } from '../redis/keys.js';

/** The job name is the command; queues are typed by their data. */
export type StockQueue = Queue<StockJob, unknown, 'stock'>;
export type AiQueue = Queue<AiJob, unknown, 'ai' | 'summary'>;

export interface CommandQueues {
  stock: StockQueue;
  ai: AiQueue;
  close(): Promise<void>;
}

/**
 * Retries: BullMQ's attempts with a 'custom' backoff, so each worker's configured
 * strategy (exponential, base delay from its config) decides the wait.
 */
export const STOCK_JOB_ATTEMPTS = 3;
export const AI_JOB_ATTEMPTS = 3;

const common: JobsOptions = {
  backoff: { type: 'custom' },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function createCommandQueues(connection: ConnectionOptions): CommandQueues {
  const prefix = redisKeys.queuePrefix;
  const stock: StockQueue = new Queue(QUEUE_STOCK, { connection, prefix, defaultJobOptions: { ...common, attempts: STOCK_JOB_ATTEMPTS } });
  const ai: AiQueue = new Queue(QUEUE_AI, { connection, prefix, defaultJobOptions: { ...common, attempts: AI_JOB_ATTEMPTS } });
  let closed: Promise<void> | undefined;
  return {
    stock,
    ai,
    close: () => (closed ??= Promise.all([stock.close(), ai.close()]).then(() => undefined)),
  };
}

/** A command to enqueue: a parsed one (not /help); a /summary also carries where it ends (`roomLastSeq`). */
export type QueuedCommand =
  | Exclude<ParsedCommand, { name: 'help' | 'summary' }>
  | (Extract<ParsedCommand, { name: 'summary' }> & { upToSeq: number });

export interface CommandRequest {
  /** From `commandRequestId(roomId, userId, clientId)`; also the BullMQ job id. */
  requestId: string;
  roomId: string;
  requestedBy: UserRef;
}

/**
 * Enqueues a parsed command (not /help) and returns the job id. The job id is the
 * request id, so a retried send adds nothing while the first job is still kept.
 */
export async function enqueueCommand(
  queues: CommandQueues,
  command: QueuedCommand,
  request: CommandRequest,
): Promise<string> {
  const base = { requestId: request.requestId, roomId: request.roomId, requestedBy: request.requestedBy };
  const opts = { jobId: request.requestId };
  switch (command.name) {
    case 'stock':
      await queues.stock.add('stock', { ...base, code: command.code }, opts);
      break;
    case 'ai':
      await queues.ai.add('ai', { ...base, kind: 'ai', prompt: command.prompt }, opts);
      break;
    case 'summary':
      await queues.ai.add('summary', { ...base, kind: 'summary', count: command.count, upToSeq: command.upToSeq }, opts);
      break;
  }
  return request.requestId;
}
