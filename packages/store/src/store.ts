import type { Message } from '@chat/contract';
import { createMessageDb } from './messages/message.db.js';
import { findJobReply, findMessages, findSentMessage, type HistoryPage } from './messages/message.history.js';
import { appendMessage, appendMessages, type AppendedMessage, type AppendResult, type MessageDraft, type StoredMessage } from './messages/message.store.js';
import type { Orm } from './orm.js';
import { createReactionStore, type ReactionStore } from './reads/reaction.store.js';
import { createReadStore, type ReadStore } from './reads/read.store.js';
import { createRoomStore, type RoomStore } from './rooms/room.store.js';
import { createRevocationStore, type RevocationStore } from './users/revocation.store.js';
import { createUserStore, type UserStore } from './users/user.store.js';

/**
 * A room's messages: the hot path, as SQL functions on a `pg` pool of its own
 * (one round trip per group commit matters there; an identity map does not).
 */
export interface MessageStore {
  /** Stores drafts in one statement (see appendMessages); results in the drafts' order. */
  append(drafts: MessageDraft[]): Promise<AppendResult[]>;
  /** Stores one draft, or throws why it could not. */
  appendOne(draft: MessageDraft): Promise<AppendedMessage>;
  /** A page in ascending seq; without before/after, the latest `limit`. */
  page(roomId: string, page: HistoryPage): Promise<Message[]>;
  /** What a retried send with this clientId returns. */
  sentByClient(roomId: string, senderId: string, clientId: string): Promise<Message | undefined>;
  /** The reply a bot job stored, if any. */
  jobReply(jobId: string): Promise<StoredMessage | undefined>;
}

/** Every query the services make, by table. */
export interface Store {
  users: UserStore;
  /** The logout denylist's durable copy. */
  revocations: RevocationStore;
  rooms: RoomStore;
  messages: MessageStore;
  /** Read cursors and room lists with unread counts. */
  reads: ReadStore;
  reactions: ReactionStore;
  /** Resolves when PostgreSQL answers (readiness). */
  ping(): Promise<void>;
  /** Closes the message path's connections (the ORM is the caller's to close). */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Connections of the message path's pool. @default 8 */
  messagePoolMax?: number;
}

export function createStore(orm: Orm, options: StoreOptions = {}): Store {
  const db = createMessageDb(orm, { max: options.messagePoolMax });
  return {
    users: createUserStore(orm, db),
    revocations: createRevocationStore(orm),
    rooms: createRoomStore(orm, db),
    messages: {
      append: (drafts) => appendMessages(db, drafts),
      appendOne: (draft) => appendMessage(db, draft),
      page: (roomId, page) => findMessages(db, roomId, page),
      sentByClient: (roomId, senderId, clientId) => findSentMessage(db, roomId, senderId, clientId),
      jobReply: (jobId) => findJobReply(db, jobId),
    },
    reads: createReadStore(db),
    reactions: createReactionStore(db),
    async ping() {
      await db.query('ping', 'select 1', []);
    },
    close: () => db.close(),
  };
}
