import { MessageText, type Message } from '@chat/contract';
import { chatRoom, decodeRoomPayload, publishMessages, redisKeys, safeError, type Logger, type RedisClient, type ShardedSubscriptions } from '@chat/runtime';
import type { MessageStore, RoomStore, StoredMessage } from '@chat/store';
import { localSocketsOf } from '../socket/local-sockets.js';
import { rawJson } from '../socket/raw-json.js';
import type { GatewayServer } from '../socket/types.js';
import { RoomSequencer } from './room-sequencer.js';

export interface MessageFanoutDeps {
  server: GatewayServer;
  /** Where a room's last seq and a missing seq are read. */
  store: { rooms: Pick<RoomStore, 'lastSeq'>; messages: Pick<MessageStore, 'page'> };
  /** Publishes this replica's commits. */
  redis: RedisClient;
  /** The room channels this replica reads, on the subscriber connection. */
  subscriptions: ShardedSubscriptions;
  logger: Logger;
  gapTimeoutMs: number;
  /** This replica's id: what it publishes carries it, and it skips its own on the channels. */
  origin: string;
  /** Messages handed to `count` local sockets (a metric). */
  onDelivered?: (count: number) => void;
  /** A payload arrived on a room channel; `self` when this replica published it (a metric). */
  onRoomPayload?: (self: boolean) => void;
}

export interface MessageFanout {
  /** Messages this replica committed (one group commit): delivered here at once, in order, and published to the others, one payload per room. */
  committed(messages: StoredMessage[]): void;
  /** See RoomSequencer.track: call right after a socket joined the room. */
  track(roomId: string): Promise<number>;
  /** The last seq delivered to the room's sockets here (RoomSequencer.delivered). */
  delivered(roomId: string): number | undefined;
  stop(): Promise<void>;
}

/**
 * How stored messages reach sockets: every producer publishes on the room's sharded
 * channel, and a gateway reads a room's channel while it holds a socket in the room,
 * delivering its messages to those sockets (`io.local`) through a RoomSequencer, so every
 * reader sees every room in seq order. A room's channel is subscribed before its last seq
 * is read, so whatever is committed after that read arrives on the channel; when the
 * subscriber connection comes back after an outage, every tracked room is read again.
 */
export function createMessageFanout(deps: MessageFanoutDeps): MessageFanout {
  const { server, store, redis, subscriptions } = deps;
  const log = deps.logger.child({ module: 'fanout' });
  const ownPrefix = `${deps.origin} `;
  const adapter = server.of('/').adapter;

  const onPayload = (payload: string): void => {
    const self = payload.startsWith(ownPrefix);
    deps.onRoomPayload?.(self);
    if (self) return;
    const decoded = decodeRoomPayload(payload);
    if (!decoded) {
      log.warn({ bytes: payload.length }, 'ignored a payload on a room channel that is not ours');
      return;
    }
    const { event } = decoded;
    if (event.kind === 'messages') for (const text of event.messages) sequencer.push(text);
    else if (event.kind === 'delta') server.local.to(chatRoom(event.delta.roomId)).emit('ai:delta', event.delta);
    else {
      // A REST leave: the user's sockets here leave the room (their presence and typing there end with it).
      // Its "left" message came first on this channel and went to them unless an earlier seq is still awaited.
      const room = chatRoom(event.leave.roomId);
      for (const socket of localSocketsOf(server, event.leave.userId)) void socket.leave(room);
    }
  };

  /** Each tracked room's Socket.IO room and its local broadcast operator (which emit does not change), made once. */
  const targets = new Map<string, { room: string; sockets: ReturnType<GatewayServer['local']['to']> }>();
  const sequencer = new RoomSequencer<MessageText>({
    logger: deps.logger,
    gapTimeoutMs: deps.gapTimeoutMs,
    deliver: (text) => {
      let target = targets.get(text.roomId);
      if (!target) {
        const room = chatRoom(text.roomId);
        target = { room, sockets: server.local.to(room) };
        targets.set(text.roomId, target);
      }
      // The text PostgreSQL wrote, framed once for the room's sockets here (local only: see RawJson).
      target.sockets.emit('message', rawJson<Message>(text.json));
      deps.onDelivered?.(adapter.rooms.get(target.room)?.size ?? 0);
    },
    lastSeq: async (roomId) => {
      await subscriptions.subscribe(redisKeys.roomChannel(roomId), onPayload);
      return store.rooms.lastSeq(roomId);
    },
    fetch: async (roomId, after, before) => (await store.messages.page(roomId, { after, before, limit: 100 })).map((m) => MessageText.fromMessage(m)),
    onForget: (roomId) => {
      targets.delete(roomId);
      subscriptions.unsubscribe(redisKeys.roomChannel(roomId)).catch((err: unknown) => log.warn({ err: safeError(err), roomId }, 'could not leave a room channel'));
    },
  });

  // Messages published while the channels were away never arrive: read them from PostgreSQL.
  const stopResync = subscriptions.onReconnected(() => {
    log.info({ rooms: sequencer.stats.rooms }, 'room channels are back; reading what they missed');
    sequencer.resync((roomId) => store.rooms.lastSeq(roomId)).catch((err: unknown) => log.warn({ err: safeError(err) }, 'resync failed'));
  });

  const chatRoomPrefix = chatRoom('');
  const onRoomDeleted = (room: string): void => {
    if (room.startsWith(chatRoomPrefix)) sequencer.forget(room.slice(chatRoomPrefix.length));
  };
  adapter.on('delete-room', onRoomDeleted);

  return {
    committed(messages) {
      for (const text of messages) sequencer.push(text);
      publishMessages(redis, deps.origin, messages).catch((err: unknown) => {
        // Stored and acknowledged; other replicas read them from PostgreSQL when the next message shows the gap.
        log.warn({ err: safeError(err), messages: messages.length }, 'could not publish committed messages');
      });
    },
    track: (roomId) => sequencer.track(roomId),
    delivered: (roomId) => sequencer.delivered(roomId),
    async stop() {
      adapter.off('delete-room', onRoomDeleted);
      stopResync();
      sequencer.stop();
    },
  };
}
