import { AppError } from '@chat/contract';
import type { ApiServices } from '../context.js';
import type { DefineRoute } from '../http/contract-route.js';

/** A room's messages by seq, members only. */
export function historyRoutes(route: DefineRoute, { store }: ApiServices): void {
  route('history', async ({ params: { roomId }, query, auth }) => {
    await store.rooms.get(roomId);
    if (!(await store.rooms.isMember(roomId, auth.user.id))) throw AppError.forbidden('join the room to read its messages');
    // One more than asked tells whether the page is the last in its direction.
    const rows = await store.messages.page(roomId, { ...query, limit: query.limit + 1 });
    const hasMore = rows.length > query.limit;
    // Ascending either way: paging up (after) the extra one is the newest, paging down the oldest.
    const messages = !hasMore ? rows : query.after !== undefined ? rows.slice(0, query.limit) : rows.slice(1);
    return { messages: await store.reactions.attach(messages, auth.user.id), hasMore };
  });
}
