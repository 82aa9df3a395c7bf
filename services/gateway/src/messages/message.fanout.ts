import { chatRoom, publishMessages, safeError, subscribeToMessages, type Logger } from '@chat/runtime';
import type { MessageStore, RoomStore, StoredMessage } from '@chat/store';
import type { Redis } from 'ioredis';
import type { GatewayServer } from '../socket/types.js';
import { RoomSequencer } from './room-sequencer.js';

export interface MessageFanoutDeps {
  server: GatewayServer;
  /** Where a room's last seq and a missing seq are read. */
  store: { rooms: Pick<RoomStore, 'lastSeq'>; messages: Pick<MessageStore, 'page'> };
  /** Publishes this replica's commits. */
  redis: Redis;
  /** The subscriber connection (shared with the Socket.IO adapter). */
  subscriber: Redis;
  logger: Logger;
  gapTimeoutMs: number;
  /** This replica's id: what it publishes carries it, and it skips its own on the channel. */
  origin: string;
  /** Messages handed to `count` local sockets (a metric). */
  onDelivered?: (count: number) => void;
}

export interface MessageFanout {
  /** Subscribes to the message channel; call before accepting sockets. */
  start(): Promise<void>;
  /** Messages this replica committed (one group commit): delivered here at once, in order, and published to the others in one payload. */
  committed(messages: StoredMessage[]): void;
  /** See RoomSequencer.track: call right after a socket joined the room. */
  track(roomId: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * How stored messages reach sockets: every producer publishes to one channel,
 * and each gateway delivers a room's messages to its own sockets (`io.local`)
 * through a RoomSequencer, so every reader sees every room in seq order.
 */
export function createMessageFanout(deps: MessageFanoutDeps): MessageFanout {
  const { server, store, redis, subscriber } = deps;
  const log = deps.logger.child({ module: 'fanout' });
  const sequencer = new RoomSequencer({
    logger: deps.logger,
    gapTimeoutMs: deps.gapTimeoutMs,
    deliver: (message) => {
      const room = chatRoom(message.roomId);
      server.local.to(room).emit('message', message);
      deps.onDelivered?.(adapter.rooms.get(room)?.size ?? 0);
    },
    lastSeq: (roomId) => store.rooms.lastSeq(roomId),
    fetch: (roomId, after, before) => store.messages.page(roomId, { after, before, limit: 100 }),
  });

  const chatRoomPrefix = chatRoom('');
  const adapter = server.of('/').adapter;
  const onRoomDeleted = (room: string): void => {
    if (room.startsWith(chatRoomPrefix)) sequencer.forget(room.slice(chatRoomPrefix.length));
  };
  adapter.on('delete-room', onRoomDeleted);
  let unsubscribe: (() => Promise<void>) | undefined;

  return {
    async start() {
      unsubscribe ??= await subscribeToMessages(subscriber, {
        self: deps.origin,
        onMessages: (messages) => {
          for (const message of messages) sequencer.push(message);
        },
        onInvalid: (payload) => log.warn({ bytes: payload.length }, 'ignored a payload on the message channel that is not messages'),
      });
    },
    committed(messages) {
      for (const { message } of messages) sequencer.push(message);
      publishMessages(
        redis,
        deps.origin,
        messages.map((m) => m.json),
      ).catch((err: unknown) => {
        // Stored and acknowledged; other replicas read them from PostgreSQL when the next message shows the gap.
        log.warn({ err: safeError(err), messages: messages.length }, 'could not publish committed messages');
      });
    },
    track: (roomId) => sequencer.track(roomId),
    async stop() {
      adapter.off('delete-room', onRoomDeleted);
      sequencer.stop();
      await unsubscribe?.().catch((err: unknown) => log.warn({ err: safeError(err) }, 'could not unsubscribe from messages'));
      unsubscribe = undefined;
    },
  };
}
