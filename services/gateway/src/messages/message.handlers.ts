import { AppError, messageSendPayloadSchema, parseCommand, parseOrThrow, typingPayloadSchema, type Message } from '@chat/contract';
import { chatRoom } from '@chat/runtime';
import type { CommandRunner } from '../commands/command.handler.js';
import { isRateLimited } from '../ratelimit/rate-limits.js';
import { eventListener, type AckContext, type EventListenerEntry } from '../socket/ack.js';
import { rawJson } from '../socket/raw-json.js';
import type { GatewaySocket } from '../socket/types.js';
import type { TypingTracker } from '../typing/typing.tracker.js';
import type { MessagePath } from './message.path.js';

export interface MessageHandlerDeps {
  messages: Pick<MessagePath, 'send' | 'sentByClient'>;
  runCommand: CommandRunner;
  typing: Pick<TypingTracker, 'update'>;
  /** A chat message was stored: what its sender wrote, they have read (their read cursor moves to it). */
  onSent?: (socket: GatewaySocket, roomId: string, seq: number) => void;
}

const notJoined = (): AppError => AppError.forbidden('join the room first (room:join)');

/** `message:send` (chat messages and commands) and `typing`, one listener each for every socket. */
export function messageEventListeners(ctx: AckContext, deps: MessageHandlerDeps): EventListenerEntry[] {
  const send = eventListener(ctx, 'message:send', async (socket, payload) => {
    const { user } = socket.data;
    const { roomId, content, clientId } = parseOrThrow(messageSendPayloadSchema, payload);
    if (!socket.rooms.has(chatRoom(roomId))) throw notJoined();
    const command = parseCommand(content);
    if (command) return deps.runCommand({ roomId, clientId, user, command });

    // Resolves after the commit; a new message was delivered and published by then,
    // a repeated clientId returns the stored one and broadcasts nothing.
    const result = await deps.messages.send({ roomId, content, sender: user, clientId });
    if (result.ok) {
      deps.onSent?.(socket, roomId, result.seq);
      // The stored text as is (socket/raw-json.ts), as the room's sockets get it.
      return { message: rawJson<Message>(result.json) };
    }
    // At the limit, a retry after a lost ack still gets the message it stored.
    const earlier = isRateLimited(result.error) ? await deps.messages.sentByClient(roomId, user.id, clientId) : undefined;
    if (earlier) return { message: earlier };
    throw result.error;
  });

  const typing = eventListener(ctx, 'typing', async (socket, payload) => {
    const { roomId, isTyping } = parseOrThrow(typingPayloadSchema, payload);
    if (!socket.rooms.has(chatRoom(roomId))) throw notJoined();
    deps.typing.update(socket.id, roomId, socket.data.user, isTyping);
    return {};
  });

  return [send, typing];
}
