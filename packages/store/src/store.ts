import type { Message } from '@chat/contract';
import type { Knex } from './context.js';
import { findJobReply, findMessages, findSentMessage, type HistoryPage } from './messages/message.history.js';
import { appendMessage, appendMessages, type AppendResult, type MessageDraft } from './messages/message.store.js';
import type { Orm } from './orm.js';
import { createRoomStore, type RoomStore } from './rooms/room.store.js';
import { createUserStore, type UserStore } from './users/user.store.js';

/** A room's messages: the hot path, written as SQL (one round trip per step matters there, an identity map does not). */
export interface MessageStore {
  /** Stores drafts in one transaction (see appendMessages); results in the drafts' order. */
  append(drafts: MessageDraft[]): Promise<AppendResult[]>;
  /** Stores one draft, or throws why it could not. */
  appendOne(draft: MessageDraft): Promise<{ message: Message; created: boolean }>;
  /** A page in ascending seq; without before/after, the latest `limit`. */
  page(roomId: string, page: HistoryPage): Promise<Message[]>;
  /** What a retried send with this clientId returns. */
  sentByClient(roomId: string, senderId: string, clientId: string): Promise<Message | undefined>;
  /** The reply a bot job stored, if any. */
  jobReply(jobId: string): Promise<Message | undefined>;
}

/** Every query the services make, by table. */
export interface Store {
  users: UserStore;
  rooms: RoomStore;
  messages: MessageStore;
  /** Resolves when PostgreSQL answers (readiness). */
  ping(): Promise<void>;
}

export function createStore(orm: Orm): Store {
  const knex = (): Knex => orm.em.getKnex();
  return {
    users: createUserStore(orm),
    rooms: createRoomStore(orm),
    messages: {
      append: (drafts) => appendMessages(knex(), drafts),
      appendOne: (draft) => appendMessage(knex(), draft),
      page: (roomId, page) => findMessages(knex(), roomId, page),
      sentByClient: (roomId, senderId, clientId) => findSentMessage(knex(), roomId, senderId, clientId),
      jobReply: (jobId) => findJobReply(knex(), jobId),
    },
    async ping() {
      await knex().raw('select 1');
    },
  };
}
