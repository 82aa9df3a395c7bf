import { AppError, type BotName, type Message } from '@chat/contract';
import { encodeRoomDelta, safeError, type Logger, type RedisClient } from '@chat/runtime';
import type { MessageStore, StoredMessage } from '@chat/store';
import { RoomGoneError } from '../jobs/room-gone.error.js';
import { SENT_TTL_SECONDS, publishOnce } from './send-once.js';

/** What the bot workers' payloads on the room channels say they come from. */
const ORIGIN = 'bot-worker';

export interface BotReply {
  roomId: string;
  botName: BotName;
  /** The BullMQ job id: at most one reply is ever stored per job. */
  jobId: string;
  content: string;
}

export interface DeliveredReply {
  message: Message;
  /** True when this call broadcast it; false when an earlier attempt (or worker) already had. */
  sent: boolean;
}

export interface ReplyPublisher {
  /** Stores the reply (once per job) and broadcasts it to the room (once per job). */
  post(reply: BotReply): Promise<DeliveredReply>;
  /** The reply an earlier attempt of this job stored, if any, broadcast unless that attempt already did. */
  replay(jobId: string): Promise<DeliveredReply | undefined>;
  /** One streamed AI chunk; fire and forget (the final message is what counts). */
  delta(roomId: string, requestId: string, delta: string): void;
}

export interface ReplyPublisherDeps {
  messages: Pick<MessageStore, 'appendOne' | 'jobReply'>;
  /** The Redis client replies and AI deltas go out on (the room's channel). */
  publisher: Pick<RedisClient, 'spublish' | 'eval'>;
  logger: Logger;
  /** How long a job's "sent" marker lives; a stored reply older than this is never sent again. @default 7 days */
  sentTtlSeconds?: number;
}

/**
 * Send policy: a job's reply reaches the room at most once. The broadcast goes out
 * through a Lua script that sets `bot:sent:{roomId}:jobId` (NX) and SPUBLISHes only
 * if it set it, so a re-run job (a worker died after publishing, a lost lock let two
 * workers run it, a client retried after the completed job was removed) sends
 * nothing twice; only an attempt that died after storing but before publishing
 * leaves a reply for a later attempt to send. A stored reply older than the
 * marker's lifetime belongs to a request answered long ago: it is not sent again.
 */
export function createReplyPublisher({ messages, publisher, logger, sentTtlSeconds = SENT_TTL_SECONDS }: ReplyPublisherDeps): ReplyPublisher {
  const log = logger.child({ module: 'replies' });
  /** A failed broadcast fails the job: its retry finds the stored reply and sends it then. */
  const deliver = async (jobId: string, { message, json }: StoredMessage): Promise<boolean> => {
    const ageMs = Date.now() - Date.parse(message.timestamp);
    if (ageMs > sentTtlSeconds * 1000) {
      log.info({ jobId, roomId: message.roomId, messageId: message.id }, 'the stored reply answered an old request; not sending it again');
      return false;
    }
    const sent = await publishOnce(publisher, { roomId: message.roomId, jobId, json, origin: ORIGIN }, sentTtlSeconds);
    if (!sent) log.info({ jobId, roomId: message.roomId, messageId: message.id }, 'the reply was sent before; not sending it again');
    return sent;
  };

  return {
    async post(reply) {
      let stored: StoredMessage;
      try {
        stored = await messages.appendOne({
          roomId: reply.roomId,
          type: 'bot',
          botName: reply.botName,
          jobId: reply.jobId,
          content: reply.content,
        });
      } catch (err) {
        // The room is gone: no attempt will ever be able to answer it.
        if (err instanceof AppError && err.code === 'not_found') throw new RoomGoneError(reply.roomId);
        throw err;
      }
      return { message: stored.message, sent: await deliver(reply.jobId, stored) };
    },

    async replay(jobId) {
      const stored = await messages.jobReply(jobId);
      return stored ? { message: stored.message, sent: await deliver(jobId, stored) } : undefined;
    },

    delta(roomId, requestId, delta) {
      const { channel, payload } = encodeRoomDelta(ORIGIN, { roomId, requestId, delta });
      publisher.spublish(channel, payload).catch((err: unknown) => log.warn({ err: safeError(err), roomId, requestId }, 'an ai:delta was not published'));
    },
  };
}
