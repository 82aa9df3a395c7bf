import type { StoredMessage } from '@chat/store';
import { chatRoom, onlineUserIds, publishMessages, safeError, userRoom } from '@chat/runtime';
import type { ApiServices } from '../context.js';
import type { DefineRoute } from '../http/contract-route.js';

/** Create, list, details, join and leave under /api/rooms. */
export function roomRoutes(route: DefineRoute, services: ApiServices): void {
  const { store, redis, emitter } = services;
  const log = services.logger.child({ module: 'rooms' });
  // Stored already: a lost publish only delays delivery until the next message shows the gap
  // (or the clients' next room:join with since).
  const broadcast = ({ message, json }: StoredMessage): void => {
    publishMessages(redis, 'api', [json]).catch((err: unknown) => {
      log.warn({ err: safeError(err), roomId: message.roomId, seq: message.seq }, 'message not published');
    });
  };

  route('createRoom', async ({ body: { name, description }, auth: { user } }) => {
    const room = await store.rooms.create(user, name, description ?? '');
    log.info({ roomId: room.id, userId: user.id }, 'room created');
    return room;
  });

  route('listRooms', async () => ({ rooms: await store.rooms.list() }));

  route('room', async ({ params: { roomId } }) => {
    const room = await store.rooms.get(roomId);
    const [members, online] = await Promise.all([store.rooms.members(roomId), onlineUserIds(redis, roomId)]);
    return { ...room, members: members.map((m) => ({ ...m, online: online.has(m.id) })) };
  });

  route('joinRoom', async ({ params: { roomId }, auth: { user } }) => {
    const joined = await store.rooms.join(roomId, user);
    if (joined) {
      log.info({ roomId, userId: user.id }, 'joined room');
      broadcast(joined);
    }
    return store.rooms.get(roomId);
  });

  route('leaveRoom', async ({ params: { roomId }, auth: { user } }) => {
    const left = await store.rooms.leave(roomId, user);
    if (left) {
      log.info({ roomId, userId: user.id }, 'left room');
      broadcast(left);
    }
    // Every gateway takes the user's sockets out of the room (ending their presence and typing there),
    // so a non-member receives nothing more. Also on a repeated leave: a socket left behind by an
    // earlier leave whose request was lost goes too. Published after the message on the same
    // connection, so the leaving user still gets their own "left the room" (unless the gateway is
    // holding it back for an earlier seq still on its way).
    emitter.in(userRoom(user.id)).socketsLeave(chatRoom(roomId));
    return { ok: true as const };
  });
}
