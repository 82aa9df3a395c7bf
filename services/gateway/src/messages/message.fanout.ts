import type { Message } from '@chat/contract';
import { chatRoom, publishMessage, safeError, subscribeToMessages, type Logger } from '@chat/runtime';
import type { MessageStore, RoomStore } from '@chat/store';
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
}

export interface MessageFanout {
  /** Subscribes to the message channel; call before accepting sockets. */
  start(): Promise<void>;
  /** A message this replica committed: delivered here at once (in order), and published to the others. */
  committed(message: Message): void;
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
    deliver: (message) => server.local.to(chatRoom(message.roomId)).emit('message', message),
    lastSeq: (roomId) => store.rooms.lastSeq(roomId),
    fetch: (roomId, after, before) => store.messages.page(roomId, { after, before, limit: 100 }),
  });

  const chatRoomPrefix = chatRoom('');
  const onRoomDeleted = (room: string): void => {
    if (room.startsWith(chatRoomPrefix)) sequencer.forget(room.slice(chatRoomPrefix.length));
  };
  server.of('/').adapter.on('delete-room', onRoomDeleted);
  let unsubscribe: (() => Promise<void>) | undefined;

  return {
    async start() {
      unsubscribe ??= await subscribeToMessages(
        subscriber,
        (message) => sequencer.push(message),
        (payload) => log.warn({ bytes: payload.length }, 'ignored a payload on the message channel that is not a message'),
      );
    },
    committed(message) {
      sequencer.push(message);
      publishMessage(redis, message).catch((err: unknown) => {
        // Stored and acknowledged; other replicas read it from PostgreSQL when the next message shows the gap.
        log.warn({ err: safeError(err), roomId: message.roomId, seq: message.seq }, 'could not publish a committed message');
      });
    },
    track: (roomId) => sequencer.track(roomId),
    async stop() {
      server.of('/').adapter.off('delete-room', onRoomDeleted);
      sequencer.stop();
      await unsubscribe?.().catch((err: unknown) => log.warn({ err: safeError(err) }, 'could not unsubscribe from messages'));
      unsubscribe = undefined;
    },
  };
}
