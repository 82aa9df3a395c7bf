import { AppError, parseOrThrow, roomJoinPayloadSchema, roomLeavePayloadSchema } from '@chat/contract';
import { chatRoom } from '@chat/runtime';
import type { ReactionStore, RoomStore, UserStore } from '@chat/store';
import type { MessagePath } from '../messages/message.path.js';
import type { PresenceTracker } from '../presence/presence.tracker.js';
import { eventListener, type AckContext, type EventListenerEntry } from '../socket/ack.js';

export interface RoomHandlerDeps {
  rooms: Pick<RoomStore, 'forMember'>;
  users: Pick<UserStore, 'findByIds'>;
  messages: Pick<MessagePath, 'track' | 'missed'>;
  presence: Pick<PresenceTracker, 'join' | 'online'>;
  reactions: Pick<ReactionStore, 'attach'>;
}

/** `room:join` and `room:leave`, one listener each for every socket. Membership itself is REST's; these start and stop delivery. */
export function roomEventListeners(ctx: AckContext, deps: RoomHandlerDeps): EventListenerEntry[] {
  const join = eventListener(ctx, 'room:join', async (socket, payload, deadline) => {
    const { user } = socket.data;
    const { roomId, since } = parseOrThrow(roomJoinPayloadSchema, payload);
    const room = await deps.rooms.forMember(roomId, user.id);
    if (socket.disconnected) throw new AppError('unavailable', 'disconnected');
    const wasJoined = socket.rooms.has(chatRoom(roomId));
    // Join, then at once ask which seq the room's sockets here have been given up to:
    // every later one reaches this socket live, so `missed` ends there and nothing
    // comes both ways or falls between the two.
    await socket.join(chatRoom(roomId));
    const delivered = deps.messages.track(roomId);
    try {
      const [upTo] = await Promise.all([delivered, deps.presence.join(socket.id, roomId, user)]);
      const [onlineIds, missed] = await Promise.all([
        deps.presence.online(roomId),
        since === undefined || since >= upTo ? Promise.resolve([]) : deps.messages.missed(roomId, since, upTo).then((m) => deps.reactions.attach(m, user.id)),
      ]);
      // `online` holds the contract's whole users ({id, username, createdAt}), read from PostgreSQL.
      const online = await deps.users.findByIds([...onlineIds]);
      if (deadline.expired) throw new AppError('unavailable', 'answered unavailable already');
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
