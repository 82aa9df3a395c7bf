import { AppError, parseCommand, parseOrThrow } from '@chat/common';
import { chatRoom, messageSendPayloadSchema, typingPayloadSchema } from '@chat/common/contract';
import { runCommand } from '../commands/command.handler.js';
import type { GatewayContext } from '../context.js';
import { safeError } from '../errors.js';
import { isRateLimited } from '../ratelimit/rate-limits.js';
import { onEvent, type HandlerContext } from '../socket/ack.js';
import { findSentMessage } from './message.store.js';

const notJoined = (): AppError => AppError.forbidden('join the room first (room:join)');

/** `message:send` (chat messages and commands) and `typing`. */
export function registerMessageHandlers(ctx: HandlerContext, gw: GatewayContext): void {
  const { socket } = ctx;
  const { user } = socket.data;

  onEvent(ctx, 'message:send', async (payload) => {
    const { roomId, content, clientId } = parseOrThrow(messageSendPayloadSchema, payload);
    if (!socket.rooms.has(chatRoom(roomId))) throw notJoined();
    const command = parseCommand(content);
    if (command) return runCommand(gw, { roomId, clientId, user, command });

    try {
      await gw.limits.message(user.id);
    } catch (err) {
      // At the limit, a retry after a lost ack still gets the message it stored.
      const earlier = isRateLimited(err) ? await findSentMessage(gw.knex, roomId, user.id, clientId) : undefined;
      if (earlier) return { message: earlier };
      throw err;
    }
    // Resolves after the commit; a new message was broadcast by then (CommitQueue.onCommitted),
    // a repeated clientId returns the stored one and broadcasts nothing.
    const result = await gw.commits.submit({ roomId, type: 'message', content, sender: user, clientId });
    if (!result.ok) throw result.error;
    // A repeat stored nothing: it must not use up the budget.
    if (!result.created) {
      await gw.limits.refund('message', user.id).catch((err: unknown) => ctx.logger.warn({ err: safeError(err), roomId }, 'could not refund a repeated send'));
    }
    return { message: result.message };
  });

  onEvent(ctx, 'typing', async (payload) => {
    const { roomId, isTyping } = parseOrThrow(typingPayloadSchema, payload);
    if (!socket.rooms.has(chatRoom(roomId))) throw notJoined();
    gw.typing.update(socket.id, roomId, user, isTyping);
    return {};
  });
}
