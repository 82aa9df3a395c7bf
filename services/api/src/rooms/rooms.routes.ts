import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { createRoomBodySchema, type Message, type RoomDetails } from '@chat/contract';
import { chatRoom, onlineUserIds, publishMessage, safeError, userRoom } from '@chat/runtime';
import { authOf, type ApiServices, type ApiState } from '../context.js';
import { readBody } from '../http/json-body.js';
import { roomIdOf } from './room-id.js';

export interface RoomRouteDeps {
  services: ApiServices;
  requireAuth: Middleware<ApiState>;
  jsonBody: Middleware;
}

/** Create, list, details, join and leave under /api/rooms. */
export function roomRoutes(router: Router<ApiState>, { services, requireAuth, jsonBody }: RoomRouteDeps): void {
  const { store, redis, emitter } = services;
  const log = services.logger.child({ module: 'rooms' });
  // Stored already: a lost publish only delays delivery until the next message shows the gap
  // (or the clients' next room:join with since).
  const broadcast = (message: Message): void => {
    publishMessage(redis, message).catch((err: unknown) => {
      log.warn({ err: safeError(err), roomId: message.roomId, seq: message.seq }, 'message not published');
    });
  };

  router.post('/api/rooms', requireAuth, jsonBody, async (ctx) => {
    const { name, description } = readBody(ctx, createRoomBodySchema);
    const { user } = authOf(ctx);
    const room = await store.rooms.create(user, name, description ?? '');
    log.info({ roomId: room.id, userId: user.id }, 'room created');
    ctx.status = 201;
    ctx.body = room;
  });

  router.get('/api/rooms', requireAuth, async (ctx) => {
    ctx.body = { rooms: await store.rooms.list() };
  });

  router.get('/api/rooms/:roomId', requireAuth, async (ctx) => {
    const roomId = roomIdOf(ctx);
    const room = await store.rooms.get(roomId);
    const [members, online] = await Promise.all([store.rooms.members(roomId), onlineUserIds(redis, roomId)]);
    const details: RoomDetails = {
      ...room,
      members: members.map((m) => ({ id: m.id, username: m.username, role: m.role, online: online.has(m.id) })),
    };
    ctx.body = details;
  });

  router.post('/api/rooms/:roomId/join', requireAuth, async (ctx) => {
    const roomId = roomIdOf(ctx);
    const { user } = authOf(ctx);
    const joined = await store.rooms.join(roomId, user);
    if (joined) {
      log.info({ roomId, userId: user.id }, 'joined room');
      broadcast(joined);
    }
    ctx.body = await store.rooms.get(roomId);
  });

  router.post('/api/rooms/:roomId/leave', requireAuth, async (ctx) => {
    const roomId = roomIdOf(ctx);
    const { user } = authOf(ctx);
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
    ctx.body = { ok: true };
  });
}
