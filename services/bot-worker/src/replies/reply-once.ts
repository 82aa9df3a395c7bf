import type { BotJobResult, BotName } from '@chat/contract';
import type { Logger } from '@chat/runtime';
import type { ReplyOutcome } from '../jobs/job.metrics.js';
import type { ReplyPublisher } from './reply.publisher.js';

export interface ReplyJob {
  jobId: string;
  roomId: string;
  botName: BotName;
  log: Logger;
}

export interface Answer {
  content: string;
  outcome: ReplyOutcome;
}

/**
 * One attempt of a bot job: if an earlier attempt stored the reply (and died, or lost
 * its lock, before finishing the job), that reply is sent now unless it was sent
 * already; otherwise `answer` is asked and its reply stored and sent, once per job.
 */
export async function replyOnce(
  replies: ReplyPublisher,
  job: ReplyJob,
  answer: () => Promise<Answer>,
  onReply?: (outcome: ReplyOutcome) => void,
): Promise<BotJobResult> {
  const earlier = await replies.replay(job.jobId);
  if (earlier) {
    onReply?.(earlier.sent ? 'replayed' : 'already_sent');
    job.log.info({ messageId: earlier.message.id, sent: earlier.sent }, 'the reply was stored by an earlier attempt');
    return { messageId: earlier.message.id, seq: earlier.message.seq };
  }
  const { content, outcome } = await answer();
  const { message, sent } = await replies.post({ roomId: job.roomId, botName: job.botName, jobId: job.jobId, content });
  onReply?.(sent ? outcome : 'already_sent');
  job.log.info({ messageId: message.id, seq: message.seq, outcome, sent, chars: content.length }, 'reply posted');
  return { messageId: message.id, seq: message.seq };
}
