import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { AppError, historyQuerySchema, parseOrThrow, type HistoryResponse } from '@chat/contract';
import { authOf, type ApiServices, type ApiState } from '../context.js';
import { roomIdOf } from '../rooms/room-id.js';

export interface HistoryRouteDeps {
  services: ApiServices;
  requireAuth: Middleware<ApiState>;
}

/** A repeated query parameter (`?limit=1&limit=2`) is ambiguous: refuse it rather than pick one. */
function singleValued(query: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) throw AppError.validation(`${key}: must be given once`);
    out[key] = value;
  }
  return out;
}

/** GET /api/rooms/:roomId/messages?limit&before|after — members only, ascending seq. */
export function historyRoutes(router: Router<ApiState>, { services, requireAuth }: HistoryRouteDeps): void {
  const { store } = services;

  router.get('/api/rooms/:roomId/messages', requireAuth, async (ctx) => {
    const roomId = roomIdOf(ctx);
    const page = parseOrThrow(historyQuerySchema, singleValued(ctx.query));
    await store.rooms.get(roomId);
    if (!(await store.rooms.isMember(roomId, authOf(ctx).user.id))) {
      throw AppError.forbidden('join the room to read its messages');
    }
    const body: HistoryResponse = { messages: await store.messages.page(roomId, page) };
    ctx.body = body;
  });
}
