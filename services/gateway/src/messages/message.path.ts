import { MISSED_MAX, type Message, type UserRef } from '@chat/contract';
import { safeError, type Logger, type RedisClient, type ShardedSubscriptions } from '@chat/runtime';
import type { AppendResult, MessageStore, RoomStore, StoredMessage } from '@chat/store';
import type { SendLimits } from '../ratelimit/rate-limits.js';
import type { GatewayServer } from '../socket/types.js';
import { CommitQueue } from './commit-queue.js';
import { createMessageFanout } from './message.fanout.js';

/** A chat send, as the handler parsed it. */
export interface ChatSend {
  roomId: string;
  content: string;
  sender: UserRef;
  clientId: string;
}

export interface MessagePathDeps {
  server: GatewayServer;
  store: { rooms: Pick<RoomStore, 'lastSeq'>; messages: Pick<MessageStore, 'append' | 'page' | 'sentByClient'> };
  /** Publishes this replica's commits to the others. */
  publisher: RedisClient;
  /** The room channels this replica reads (on a subscriber connection it shares with the Socket.IO adapter). */
  subscriptions: ShardedSubscriptions;
  /** The per-user message budget, spent once per group commit for all its sends. */
  limits: Pick<SendLimits, 'messages' | 'refund'>;
  logger: Logger;
  /** This replica's id (what it publishes carries it). */
  replicaId: string;
  /** Messages stored per group commit (a metric). */
  onBatch?: (size: number) => void;
  /** Messages handed to `count` local sockets (a metric). */
  onDelivered?: (count: number) => void;
  /** A payload arrived on a room channel; `self` when this replica published it. */
  onRoomPayload?: (self: boolean) => void;
  /** Longest a send waits to share a commit with others. */
  commitDelayMs: number;
  maxBatchSize: number;
  maxConcurrentCommits: number;
  /** How long a room's missing seq is awaited on the wire before it is read from PostgreSQL. */
  gapTimeoutMs: number;
}

/** What the event handlers and the gateway's lifecycle need of the message path. */
export interface MessagePath {
  /**
   * Spends the sender's message budget and commits the send, grouped with others, and
   * resolves after the commit (or with `rate_limited`). A new message is delivered here
   * and published to the other replicas before that; a repeated clientId resolves to the
   * stored message, goes nowhere, and gets its budget point back.
   */
  send(send: ChatSend): Promise<AppendResult>;
  /** The message a send with this clientId stored, if any (a retry at the rate limit). */
  sentByClient(roomId: string, senderId: string, clientId: string): Promise<Message | undefined>;
  /**
   * Call right after a socket joined the room's Socket.IO room, with nothing awaited
   * in between: resolves to the last seq delivered to the room's sockets here before
   * it joined; every later one reaches it live.
   */
  track(roomId: string): Promise<number>;
  /** The last seq delivered to the room's sockets on this replica, while it holds one (else undefined). */
  delivered(roomId: string): number | undefined;
  /** What a rejoining socket missed: `after < seq <= upTo`, the oldest MISSED_MAX (it pages the rest over REST). */
  missed(roomId: string, after: number, upTo: number): Promise<Message[]>;
  /** Sends accepted and not yet committed (waiting for a batch, or in one being written). */
  readonly pending: number;
  /** Refuses new sends and waits until every accepted one is committed (or failed). */
  flush(): Promise<void>;
  /** Stops delivering; call after the sockets are gone. */
  stop(): Promise<void>;
}

/**
 * The message path of one gateway: sends are committed in groups to PostgreSQL
 * (commit-queue.ts, store's appendMessages), then delivered to this replica's sockets
 * and published to the others, which deliver each room in seq order (message.fanout.ts).
 */
export function createMessagePath(deps: MessagePathDeps): MessagePath {
  const { store, limits } = deps;
  const log = deps.logger.child({ module: 'messages' });
  const fanout = createMessageFanout({
    server: deps.server,
    store,
    redis: deps.publisher,
    subscriptions: deps.subscriptions,
    logger: deps.logger,
    gapTimeoutMs: deps.gapTimeoutMs,
    origin: deps.replicaId,
    onDelivered: deps.onDelivered,
    onRoomPayload: deps.onRoomPayload,
  });
  const commits = new CommitQueue({
    logger: deps.logger,
    maxDelayMs: deps.commitDelayMs,
    maxBatchSize: deps.maxBatchSize,
    maxConcurrentBatches: deps.maxConcurrentCommits,
    admit: (drafts) => limits.messages(drafts.map((d) => (d.type === 'message' ? d.sender.id : ''))),
    store: (drafts) => {
      deps.onBatch?.(drafts.length);
      return store.messages.append(drafts);
    },
    onCommitted: (drafts, results) => {
      const created: StoredMessage[] = [];
      results.forEach((result, i) => {
        if (!result.ok) return;
        if (result.created) created.push(result);
        else refund(drafts[i]!);
      });
      if (created.length > 0) fanout.committed(created);
    },
  });
  // A repeat stored nothing: it must not use up the budget.
  const refund = (draft: ChatSend | { type: string }): void => {
    if (!('sender' in draft)) return;
    limits.refund('messages', draft.sender.id).catch((err: unknown) => log.warn({ err: safeError(err), roomId: draft.roomId }, 'could not refund a repeated send'));
  };

  return {
    send: ({ roomId, content, sender, clientId }) => commits.submit({ roomId, type: 'message', content, sender, clientId }),
    sentByClient: (roomId, senderId, clientId) => store.messages.sentByClient(roomId, senderId, clientId),
    track: (roomId) => fanout.track(roomId),
    delivered: (roomId) => fanout.delivered(roomId),
    missed: (roomId, after, upTo) => store.messages.page(roomId, { limit: MISSED_MAX, after, before: upTo + 1 }),
    get pending() {
      return commits.size;
    },
    flush: () => commits.close(),
    stop: () => fanout.stop(),
  };
}
