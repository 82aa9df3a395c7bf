import type { Job } from 'bullmq';
import { stockJobSchema, type BotJobResult, type StockJob } from '@chat/contract';
import { safeError, type Logger } from '@chat/runtime';
import { isFinalAttempt, jobIdOf, jobLogger, parseJobData } from '../jobs/job-data.js';
import type { ReplyOutcome } from '../jobs/job.metrics.js';
import { replyOnce, type Answer } from '../replies/reply-once.js';
import type { ReplyPublisher } from '../replies/reply.publisher.js';
import { QuoteServiceError } from './quote-service.error.js';
import { STOCK_UNAVAILABLE_TEXT, noQuoteText, quoteText } from './quote.replies.js';
import type { StooqClient } from './stooq.client.js';

export interface QuoteProcessorDeps {
  stooq: StooqClient;
  replies: ReplyPublisher;
  logger: Logger;
  onReply?: (outcome: ReplyOutcome) => void;
}

export type QuoteJob = Job<StockJob, BotJobResult, 'stock'>;

/**
 * `/stock=CODE`: Stooq's close as a `stock-bot` message. A Stooq failure is thrown
 * so BullMQ retries with backoff; on the last attempt the room gets the
 * "unavailable" reply instead of silence.
 */
export function createQuoteProcessor(deps: QuoteProcessorDeps): (job: QuoteJob) => Promise<BotJobResult> {
  const logger = deps.logger.child({ module: 'quotes' });
  return async (job) => {
    const data = parseJobData(stockJobSchema, job);
    const log = jobLogger(logger, job, data.roomId);
    const jobId = jobIdOf(job, data.requestId);

    const answer = async (): Promise<Answer> => {
      try {
        const quote = await deps.stooq.fetchQuote(data.code);
        return quote.kind === 'quote' ? { content: quoteText(data.code, quote.close), outcome: 'answered' } : { content: noQuoteText(data.code), outcome: 'no_data' };
      } catch (err) {
        if (!(err instanceof QuoteServiceError) || !isFinalAttempt(job)) {
          log.warn({ err: safeError(err), code: data.code }, 'stock quote attempt failed');
          throw err;
        }
        log.error({ err: safeError(err), code: data.code }, 'stock quote failed on the last attempt; answering that the service is unavailable');
        return { content: STOCK_UNAVAILABLE_TEXT, outcome: 'unavailable' };
      }
    };
    return replyOnce(deps.replies, { jobId, roomId: data.roomId, botName: 'stock-bot', log }, answer, deps.onReply);
  };
}
