import type { Emitter } from '@socket.io/redis-emitter';
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
  type ServerToClientEvents,
} from '@chat/common';

export type BotEmitter = Emitter<ServerToClientEvents>;
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
  broadcast(message: Message): void;
  delta(roomId: string, requestId: string, delta: string): void;
}

export interface ReplyPublisherDeps {
  knex: Knex;
  emitter: BotEmitter;
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
export function createReplyPublisher({ knex, emitter, logger }: ReplyPublisherDeps): ReplyPublisher {
  const log = logger.child({ module: 'replies' });

  const broadcast = (message: Message): void => {
    emitter.to(chatRoom(message.roomId)).emit('message', message);
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
      broadcast(stored.message);
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
    },
  };
}
