import { commandRequestId, enqueueCommand } from '@chat/common';
import { HELP_TEXT, type MessageSendResult, type ParsedCommand, type UserRef } from '@chat/common/contract';
import type { GatewayContext } from '../context.js';

export interface CommandRequest {
  roomId: string;
  clientId: string;
  user: UserRef;
  command: ParsedCommand;
}

/**
 * A recognised command: `/help` is answered in the ack, the rest become jobs for
 * the bot workers. The job id derives from (room, user, clientId), so a retried
 * send maps to the same job. Every command spends the user's command budget.
 */
export async function runCommand(gw: GatewayContext, request: CommandRequest): Promise<MessageSendResult> {
  const { roomId, clientId, user, command } = request;
  await gw.limits.command(user.id);
  if (command.name === 'help') return { command: 'help', text: HELP_TEXT };
  const jobId = await enqueueCommand(gw.queues, command, {
    requestId: commandRequestId(roomId, user.id, clientId),
    roomId,
    requestedBy: user,
  });
  gw.logger.debug({ roomId, userId: user.id, command: command.name, jobId }, 'command queued');
  return { command: command.name, jobId };
}
