import type { Job } from 'bullmq';
import { aiJobSchema, type AiJob, type BotJobResult } from '@chat/contract';
import { safeError, type Logger } from '@chat/runtime';
import type { MessageStore } from '@chat/store';
import { isFinalAttempt, jobIdOf, jobLogger, parseJobData } from '../jobs/job-data.js';
import type { ReplyOutcome } from '../jobs/job.metrics.js';
import { replyOnce, type Answer } from '../replies/reply-once.js';
import type { ReplyPublisher } from '../replies/reply.publisher.js';
import { isRetryableAiError, type AiClient, type ChatTurn } from './ai.client.js';
import { AI_NOT_CONFIGURED_TEXT, AI_UNAVAILABLE_TEXT, NOTHING_TO_SUMMARISE_TEXT, normaliseAnswer } from './ai.replies.js';
import { ASK_CONTEXT_MESSAGES, buildAskTurns, buildSummaryTurns } from './context.builder.js';

export interface AiProcessorDeps {
  /** Undefined when no OPENAI_API_KEY is set: every AI job answers that the AI is not configured. */
  ai: AiClient | undefined;
  /** The room's messages, the context of `/ai` and what `/summary` summarises. */
  messages: Pick<MessageStore, 'page'>;
  replies: ReplyPublisher;
  logger: Logger;
  /** Character budget of the `/ai` context. */
  contextChars: number;
  /** Character budget of the `/summary` transcript. */
  summaryChars: number;
  onReply?: (outcome: ReplyOutcome) => void;
}

export type AiQueueJob = Job<AiJob, BotJobResult, 'ai' | 'summary'>;

/** Set in the job's progress once deltas went out, so a retry does not stream the text a second time. */
interface AiProgress {
  streamed: true;
}
const hasStreamed = (job: AiQueueJob): boolean =>
  typeof job.progress === 'object' && job.progress !== null && (job.progress as Partial<AiProgress>).streamed === true;

/**
 * `/ai PROMPT` and `/summary N`: asks the model with the room's messages from
 * PostgreSQL, streams the answer to the room as `ai:delta`, then stores and
 * broadcasts the whole answer as a bot message from `ai`.
 */
export function createAiProcessor(deps: AiProcessorDeps): (job: AiQueueJob) => Promise<BotJobResult> {
  const logger = deps.logger.child({ module: 'ai' });
  return async (job) => {
    const data = parseJobData(aiJobSchema, job);
    const log = jobLogger(logger, job, data.roomId).child({ kind: data.kind });
    const jobId = jobIdOf(job, data.requestId);

    return replyOnce(deps.replies, { jobId, roomId: data.roomId, botName: 'ai', log }, () => answer(job, data, log), deps.onReply);
  };

  async function answer(job: AiQueueJob, data: AiJob, log: Logger): Promise<Answer> {
    if (!deps.ai) return { content: AI_NOT_CONFIGURED_TEXT, outcome: 'not_configured' };

    let turns: ChatTurn[];
    if (data.kind === 'ai') {
      const recent = await deps.messages.page(data.roomId, { limit: ASK_CONTEXT_MESSAGES });
      turns = buildAskTurns(data.prompt, data.requestedBy, recent, deps.contextChars);
    } else {
      // The last N as of the request (upToSeq), not as of now: later messages are not the ones asked about.
      const before = data.upToSeq === undefined ? undefined : data.upToSeq + 1;
      const messages = await deps.messages.page(data.roomId, { limit: data.count, before });
      const summary = buildSummaryTurns(messages, deps.summaryChars);
      if (summary.lines === 0) return { content: NOTHING_TO_SUMMARISE_TEXT, outcome: 'answered' };
      turns = summary.turns;
    }
    // Sizes only: prompts and room messages stay out of the logs.
    log.debug({ turns: turns.length, chars: turns.reduce((n, t) => n + t.content.length, 0) }, 'asking the model');

    const stream = !hasStreamed(job);
    let marked = false;
    const onDelta = (delta: string): void => {
      if (!marked) {
        marked = true;
        job.updateProgress({ streamed: true } satisfies AiProgress).catch((err: unknown) => log.warn({ err: safeError(err) }, 'could not mark the job as streamed'));
      }
      deps.replies.delta(data.roomId, data.requestId, delta);
    };

    try {
      const text = await deps.ai.complete(turns, stream ? { onDelta } : {});
      return { content: normaliseAnswer(text), outcome: 'answered' };
    } catch (err) {
      const retryable = isRetryableAiError(err);
      if (retryable && !isFinalAttempt(job)) {
        log.warn({ err: summariseError(err) }, 'ai provider call failed; will retry');
        throw err;
      }
      log.error({ err: summariseError(err), retryable }, 'ai provider call failed for good; answering that the AI is unavailable');
      return { content: AI_UNAVAILABLE_TEXT, outcome: 'unavailable' };
    }
  }
}

/** Name, status and message only: SDK errors carry request details we do not want in logs. */
function summariseError(err: unknown): { name: string; message: string; status?: number } {
  if (!(err instanceof Error)) return { name: 'unknown', message: String(err) };
  const status = (err as { status?: unknown }).status;
  return { name: err.name, message: err.message.slice(0, 200), ...(typeof status === 'number' ? { status } : {}) };
}
