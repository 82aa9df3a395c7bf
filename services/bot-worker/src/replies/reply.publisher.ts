import { Emitter } from '@socket.io/redis-emitter';
import { UnrecoverableError } from 'bullmq';
import {
  AppError,
  MESSAGE_COLUMNS,
  appendMessage,
  chatRoom,
  toMessage,
  type BotName,
  type Logger,
  type Message,
  type MessageRecord,
  type Redis,
  type ServerToClientEvents,
} from '@chat/common';

/** The query builder `orm.em.getKnex()` returns. */
export type Knex = Parameters<typeof appendMessage>[0];

export interface BotReply {
  roomId: string;
  botName: BotName;
  /** The BullMQ job id: at most one reply is ever stored per job. */
  jobId: string;
  content: string;
}

export interface ReplyPublisher {
  /**
   * Stores the reply (once per job) and broadcasts the stored message to the room
   * on every gateway replica.
   */
  post(reply: BotReply): Promise<Message>;
  /** The reply an earlier attempt of this job stored, if any. */
  findStored(jobId: string): Promise<Message | undefined>;
  /** Sends a stored message to the room; resolves once Redis took the PUBLISH. */
  broadcast(message: Message): Promise<void>;
  /** One streamed AI chunk; fire and forget (the final message is what counts). */
  delta(roomId: string, requestId: string, delta: string): void;
}

export interface ReplyPublisherDeps {
  knex: Knex;
  /** The Redis client the emitter publishes with (key `socket.io`, the adapter's default). */
  publisher: Pick<Redis, 'publish'>;
  logger: Logger;
}

/**
 * Broadcast policy: a stored reply is broadcast even when `appendMessage` says it
 * already existed (`created: false`). That only happens when an earlier attempt of
 * the same job stored it and then died (or lost its lock) before or right after
 * broadcasting; sending it again is better than the room never seeing it live.
 * Clients already ignore a message whose id/seq they hold (the same rule that makes
 * `room:join` with `since` safe), so a rare duplicate event is harmless, whereas a
 * missing one would only show up after a reconnect.
 */
export function createReplyPublisher({ knex, publisher, logger }: ReplyPublisherDeps): ReplyPublisher {
  const log = logger.child({ module: 'replies' });
  // The emitter fires PUBLISH and drops the promise: an error there would be an
  // unhandled rejection. It calls publish() synchronously inside emit(), so the
  // promise it made is the last one recorded here right after emit() returns.
  let lastPublish: Promise<unknown> = Promise.resolve();
  const tracked = {
    publish: (channel: string, message: string | Buffer): Promise<number> => {
      const sent = publisher.publish(channel, message);
      lastPublish = sent;
      sent.catch(() => undefined); // awaited by broadcast(), or deliberately dropped for deltas
      return sent;
    },
  };
  const emitter = new Emitter<ServerToClientEvents>(tracked);

  /** A failed broadcast fails the job: its retry finds the stored reply and sends it again. */
  const broadcast = async (message: Message): Promise<void> => {
    emitter.to(chatRoom(message.roomId)).emit('message', message);
    await lastPublish;
  };

  return {
    async post(reply) {
      let stored: { message: Message; created: boolean };
      try {
        stored = await appendMessage(knex, {
          roomId: reply.roomId,
          type: 'bot',
          botName: reply.botName,
          jobId: reply.jobId,
          content: reply.content,
        });
      } catch (err) {
        // The room is gone: no attempt will ever be able to answer it.
        if (err instanceof AppError && err.code === 'not_found') throw new UnrecoverableError(`room ${reply.roomId} not found`);
        throw err;
      }
      if (!stored.created) {
        log.info({ jobId: reply.jobId, roomId: reply.roomId, messageId: stored.message.id }, 'reply was stored by an earlier attempt; broadcasting it again');
      }
      await broadcast(stored.message);
      return stored.message;
    },

    async findStored(jobId) {
      const { rows } = await knex.raw<{ rows: MessageRecord[] }>(
        `select ${MESSAGE_COLUMNS} from messages m left join users u on u.id = m.sender_id where m.job_id = ?`,
        [jobId],
      );
      const row = rows[0];
      return row ? toMessage(row) : undefined;
    },

    broadcast,

    delta(roomId, requestId, delta) {
      emitter.to(chatRoom(roomId)).emit('ai:delta', { roomId, requestId, delta });
      lastPublish.catch((err: unknown) => log.warn({ err, roomId, requestId }, 'an ai:delta was not published'));
    },
  };
}
