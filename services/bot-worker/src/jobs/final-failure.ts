import type { Job } from 'bullmq';
import { QUEUE_STOCK, aiJobSchema, stockJobSchema, type BotName } from '@chat/contract';
import { safeError, type Logger } from '@chat/runtime';
import { AI_UNAVAILABLE_TEXT } from '../ai/ai.replies.js';
import { STOCK_UNAVAILABLE_TEXT } from '../quotes/quote.replies.js';
import type { ReplyPublisher } from '../replies/reply.publisher.js';
import { InvalidJobDataError } from './invalid-job-data.error.js';
import type { ReplyOutcome } from './job.metrics.js';
import { RoomGoneError } from './room-gone.error.js';

export interface FinalFailureDeps {
  replies: ReplyPublisher;
  logger: Logger;
  /** Wait before the first retry of a failed fallback reply; doubles after each. */
  retryDelayMs: number;
  /** @default 3 */
  tries?: number;
  onReply?: (queue: string, outcome: ReplyOutcome) => void;
}

export interface FinalFailureReplier {
  /** Answers a job that failed for good (retries spent, stalled too often) with its queue's "unavailable" reply. */
  answer(queue: string, job: Job, err: Error): void;
  /** Resolves once every fallback reply under way is posted or given up. */
  idle(): Promise<void>;
}

const fallback: Record<string, { botName: BotName; content: string }> = {
  stock: { botName: 'stock-bot', content: STOCK_UNAVAILABLE_TEXT },
  ai: { botName: 'ai', content: AI_UNAVAILABLE_TEXT },
};

/**
 * The room hears back from every job: when one fails for good on an infrastructure
 * error (PostgreSQL or Redis away on the last attempt, a job whose worker died more
 * often than `maxStalledCount`), it gets the queue's "unavailable" reply. Storing is
 * once per job, so a reply an earlier attempt stored wins and is sent instead (once).
 * Invalid job data and deleted rooms get nothing: there is no room to trust.
 */
export function createFinalFailureReplier(deps: FinalFailureDeps): FinalFailureReplier {
  const log = deps.logger.child({ module: 'final-failure' });
  const tries = deps.tries ?? 3;
  const pending = new Set<Promise<void>>();

  const post = async (queue: string, job: Job, err: Error): Promise<void> => {
    if (err instanceof InvalidJobDataError || err instanceof RoomGoneError) return;
    const text = fallback[queue];
    const data = (queue === QUEUE_STOCK ? stockJobSchema : aiJobSchema).safeParse(job.data);
    if (!text || !data.success) return;
    const { roomId, requestId } = data.data;
    const jobId = job.id ?? requestId;
    for (let attempt = 1; ; attempt++) {
      try {
        const { message, sent } = await deps.replies.post({ roomId, jobId, ...text });
        const outcome: ReplyOutcome = !sent ? 'already_sent' : message.content === text.content ? 'unavailable' : 'replayed';
        deps.onReply?.(queue, outcome);
        log.info({ jobId, roomId, queue, messageId: message.id, outcome, reason: safeError(err).message }, 'answered a job that failed for good');
        return;
      } catch (postErr) {
        if (postErr instanceof RoomGoneError) return;
        if (attempt >= tries) {
          log.error({ jobId, roomId, queue, err: safeError(postErr) }, 'could not answer a job that failed for good; the room gets no reply');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, deps.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  };

  return {
    answer(queue, job, err) {
      const run = post(queue, job, err).catch((unexpected: unknown) => log.error({ err: safeError(unexpected), jobId: job.id }, 'fallback reply failed'));
      pending.add(run);
      void run.finally(() => pending.delete(run));
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
