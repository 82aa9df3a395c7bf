import type { Job } from 'bullmq';
import { stockJobSchema, type BotJobResult, type StockJob } from '@chat/contract';
import { safeError, type Logger } from '@chat/runtime';
import { isFinalAttempt, jobIdOf, jobLogger, parseJobData } from '../jobs/job-data.js';
import type { ReplyOutcome } from '../jobs/job.metrics.js';
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

    // An earlier attempt stored the answer and died (or lost its lock) before finishing the job;
    // it is sent now only if that attempt did not get to send it.
    const earlier = await deps.replies.replay(jobId);
    if (earlier) {
      deps.onReply?.(earlier.sent ? 'replayed' : 'already_sent');
      log.info({ messageId: earlier.message.id, sent: earlier.sent }, 'stock reply was stored by an earlier attempt');
      return { messageId: earlier.message.id, seq: earlier.message.seq };
    }

    let content: string;
    let outcome: ReplyOutcome;
    try {
      const quote = await deps.stooq.fetchQuote(data.code);
      content = quote.kind === 'quote' ? quoteText(data.code, quote.close) : noQuoteText(data.code);
      outcome = quote.kind === 'quote' ? 'answered' : 'no_data';
    } catch (err) {
      if (!(err instanceof QuoteServiceError) || !isFinalAttempt(job)) {
        log.warn({ err: safeError(err), code: data.code }, 'stock quote attempt failed');
        throw err;
      }
      log.error({ err: safeError(err), code: data.code }, 'stock quote failed on the last attempt; answering that the service is unavailable');
      content = STOCK_UNAVAILABLE_TEXT;
      outcome = 'unavailable';
    }

    const { message, sent } = await deps.replies.post({ roomId: data.roomId, botName: 'stock-bot', jobId, content });
    deps.onReply?.(sent ? outcome : 'already_sent');
    log.info({ messageId: message.id, seq: message.seq, outcome, sent }, 'stock reply posted');
    return { messageId: message.id, seq: message.seq };
  };
}
