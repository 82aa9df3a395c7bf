import { AppError, MISSED_MAX, parseOrThrow, roomJoinPayloadSchema, roomLeavePayloadSchema } from '@chat/contract';
import { chatRoom, onlineUserIds } from '@chat/runtime';
import { findMessages } from '@chat/store';
import type { GatewayContext } from '../context.js';
import { eventListener, type AckContext, type EventListenerEntry } from '../socket/ack.js';

/** `room:join` and `room:leave`, one listener each for every socket. Membership itself is REST's; these start and stop delivery. */
export function roomEventListeners(ctx: AckContext, gw: GatewayContext): EventListenerEntry[] {
  const join = eventListener(ctx, 'room:join', async (socket, payload, expired) => {
    const { user } = socket.data;
    const { roomId, since } = parseOrThrow(roomJoinPayloadSchema, payload);
    const room = await gw.rooms.roomForMember(roomId, user.id);
    if (socket.disconnected) throw new AppError('unavailable', 'disconnected');
    const wasJoined = socket.rooms.has(chatRoom(roomId));
    // Join, then at once ask which seq the room's sockets here have been given up to:
    // every later one reaches this socket live, so `missed` ends there and nothing
    // comes both ways or falls between the two.
    await socket.join(chatRoom(roomId));
    const delivered = gw.fanout.track(roomId);
    try {
      const [upTo] = await Promise.all([delivered, gw.presence.join(socket.id, roomId, user)]);
      const [onlineIds, missed] = await Promise.all([
        onlineUserIds(gw.redis, roomId),
        since === undefined || since >= upTo
          ? Promise.resolve([])
          : findMessages(gw.knex, roomId, { limit: MISSED_MAX, after: since, before: upTo + 1 }),
      ]);
      // `online` holds the contract's whole users ({id, username, createdAt}), read from PostgreSQL.
      const online = await gw.rooms.fullUsers([...onlineIds]);
      if (expired.aborted) throw new AppError('unavailable', 'answered unavailable already');
      return { room, online, missed };
    } catch (err) {
      // A join that failed (or was answered unavailable) leaves no trace: the adapter's
      // leave-room ends delivery, presence and typing (gateway.ts). An earlier join stays.
      if (!wasJoined) await socket.leave(chatRoom(roomId));
      throw err;
    }
  });

  const leave = eventListener(ctx, 'room:leave', async (socket, payload) => {
    const { roomId } = parseOrThrow(roomLeavePayloadSchema, payload);
    // The adapter's leave-room event ends typing and presence (see gateway.ts), as on disconnect.
    await socket.leave(chatRoom(roomId));
    return {};
  });

  return [join, leave];
}
