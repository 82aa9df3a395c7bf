import type { StoredMessage } from '@chat/store';
import { onlineUserIds, publishMessages, publishRoomLeave, safeError } from '@chat/runtime';
import type { ApiServices } from '../context.js';
import type { DefineRoute } from '../http/contract-route.js';

/** Who the API's room-channel payloads come from. */
const ORIGIN = 'api';

/** Create, list, details, join and leave under /api/rooms. */
export function roomRoutes(route: DefineRoute, services: ApiServices): void {
  const { store, redis } = services;
  const log = services.logger.child({ module: 'rooms' });
  // Stored already: a lost publish only delays delivery until the next message shows the gap
  // (or the clients' next room:join with since).
  const broadcast = (stored: StoredMessage): Promise<void> =>
    publishMessages(redis, ORIGIN, [stored]).catch((err: unknown) => {
      log.warn({ err: safeError(err), roomId: stored.message.roomId, seq: stored.message.seq }, 'message not published');
    });

  route('createRoom', async ({ body: { name, description }, auth: { user } }) => {
    const room = await store.rooms.create(user, name, description ?? '');
    log.info({ roomId: room.id, userId: user.id }, 'room created');
    return room;
  });

  route('listRooms', async ({ auth }) => ({ rooms: await store.reads.roomList(auth.user.id) }));

  route('room', async ({ params: { roomId } }) => {
    const room = await store.rooms.get(roomId);
    const [members, online] = await Promise.all([store.rooms.members(roomId), onlineUserIds(redis, roomId)]);
    return { ...room, members: members.map((m) => ({ ...m, online: online.has(m.id) })) };
  });

  route('joinRoom', async ({ params: { roomId }, auth: { user } }) => {
    const joined = await store.rooms.join(roomId, user);
    if (joined) {
      log.info({ roomId, userId: user.id }, 'joined room');
      // A new member starts caught up: the history before their join is not news to their badge.
      await store.reads.advance([{ roomId, userId: user.id, seq: joined.message.seq }]);
      void broadcast(joined);
    }
    return store.rooms.get(roomId);
  });

  route('leaveRoom', async ({ params: { roomId }, auth: { user } }) => {
    const left = await store.rooms.leave(roomId, user);
    if (left) {
      log.info({ roomId, userId: user.id }, 'left room');
      void broadcast(left);
    }
    // The gateways holding the room take the user's sockets out of it (ending their presence and typing
    // there), so a non-member receives nothing more. Also on a repeated leave: a socket left behind by an
    // earlier leave whose request was lost goes too. Sent right after the "left" message on the same
    // connection and to the same channel (so the same Redis node): the gateways get the message first.
    publishRoomLeave(redis, ORIGIN, { roomId, userId: user.id }).catch((err: unknown) => {
      log.warn({ err: safeError(err), roomId, userId: user.id }, 'leave not published to the gateways');
    });
    return { ok: true as const };
  });
}
