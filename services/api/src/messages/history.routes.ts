import { AppError } from '@chat/contract';
import type { ApiServices } from '../context.js';
import type { DefineRoute } from '../http/contract-route.js';

/** A room's messages by seq, members only. */
export function historyRoutes(route: DefineRoute, { store }: ApiServices): void {
  route('history', async ({ params: { roomId }, query, auth }) => {
    await store.rooms.get(roomId);
    if (!(await store.rooms.isMember(roomId, auth.user.id))) throw AppError.forbidden('join the room to read its messages');
    return { messages: await store.messages.page(roomId, query) };
  });
}
