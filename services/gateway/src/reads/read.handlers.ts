import { AppError, parseOrThrow, reactionSetPayloadSchema, roomReadPayloadSchema } from '@chat/contract';
import { chatRoom } from '@chat/runtime';
import type { ReactionStore, ReadStore } from '@chat/store';
import type { SendLimits } from '../ratelimit/rate-limits.js';
import { eventListener, type AckContext, type EventListenerEntry } from '../socket/ack.js';
import type { GatewayServer, GatewaySocket } from '../socket/types.js';
import type { CursorWriter } from './cursor.writer.js';
import type { ReadBroadcast } from './read.broadcast.js';

export interface ReadHandlerDeps {
  server: GatewayServer;
  /** The last seq delivered to a room's sockets on this replica (MessagePath.delivered). */
  delivered: (roomId: string) => number | undefined;
  reads: Pick<ReadStore, 'cursor'>;
  reactions: Pick<ReactionStore, 'set'>;
  cursors: CursorWriter;
  broadcast: ReadBroadcast;
  limits: Pick<SendLimits, 'messages' | 'refund'>;
}

/**
 * What a user sends they have read: a stored chat message moves its sender's cursor to it (written
 * coalesced like any other). No `room:read` goes out for it: their sockets in the room receive the
 * message itself, from them, and the others read the cursor with the room list. (A broadcast per
 * send cost every sender a sharded publish a quarter second, as much Redis work as the messages.)
 */
export function readOnSend(cursors: CursorWriter, socket: GatewaySocket, roomId: string, seq: number): void {
  cursors.note(roomId, socket.data.user.id, seq);
}

/** `room:read` (read cursors, on every device of the user) and `reaction:set`. */
export function readEventListeners(ctx: AckContext, deps: ReadHandlerDeps): EventListenerEntry[] {
  const read = eventListener(ctx, 'room:read', async (socket, payload) => {
    const { user } = socket.data;
    const { roomId, seq } = parseOrThrow(roomReadPayloadSchema, payload);
    // A socket joined to the room is a member, and what was delivered here exists: a client marking
    // every message it sees costs no query once its cursor is known. Otherwise one read (membership,
    // the stored cursor, the room's last seq). The write is coalesced either way.
    const delivered = socket.rooms.has(chatRoom(roomId)) ? deps.delivered(roomId) : undefined;
    let known = deps.cursors.known(roomId, user.id);
    if (known === undefined || delivered === undefined || seq > delivered) {
      const stored = await deps.reads.cursor(roomId, user.id);
      if (seq > stored.lastSeq) throw AppError.validation(`seq: the room's last message is ${stored.lastSeq}`);
      known = deps.cursors.remember(roomId, user.id, stored.readSeq);
    }
    if (seq <= known) return { readSeq: known };
    deps.cursors.note(roomId, user.id, seq);
    // The user's other sockets, on every replica (their user room, through the sharded adapter).
    deps.broadcast.moved(user.id, roomId, seq, socket.id);
    return { readSeq: seq };
  });

  const react = eventListener(ctx, 'reaction:set', async (socket, payload) => {
    const { user } = socket.data;
    const { roomId, messageId, emoji, on } = parseOrThrow(reactionSetPayloadSchema, payload);
    // Reactions spend the messages budget: they are broadcast to the whole room like one.
    const [refused] = await deps.limits.messages([user.id]);
    if (refused) throw refused;
    const change = await deps.reactions.set(roomId, messageId, user.id, emoji, on).catch(async (err: unknown) => {
      await deps.limits.refund('messages', user.id).catch(() => undefined);
      throw err;
    });
    if (change.changed) {
      deps.server.to(chatRoom(roomId)).emit('reaction', { roomId, messageId, seq: change.seq, emoji, user: { id: user.id, username: user.username }, on, count: change.count });
    } else {
      // Already so (a retry after a lost ack): nothing happened, nothing spent.
      await deps.limits.refund('messages', user.id).catch(() => undefined);
    }
    return { emoji, count: change.count };
  });

  return [read, react];
}
