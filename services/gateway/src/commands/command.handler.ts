import { commandRequestId, enqueueCommand } from '@chat/runtime';
import { roomLastSeq } from '@chat/store';
import { HELP_TEXT, type MessageSendResult, type ParsedCommand, type UserRef } from '@chat/contract';
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
 * send maps to the same job. Every command spends the user's command budget,
 * except a repeat of one already queued (a retry after a lost ack).
 */
export async function runCommand(gw: GatewayContext, request: CommandRequest): Promise<MessageSendResult> {
  const { roomId, clientId, user, command } = request;
  if (command.name === 'help') {
    await gw.limits.command(user.id);
    return { command: 'help', text: HELP_TEXT };
  }
  const requestId = commandRequestId(roomId, user.id, clientId);
  // Found again, even at the limit, without spending the budget twice.
  if (await jobExists(gw, command.name, requestId)) return { command: command.name, jobId: requestId };
  await gw.limits.command(user.id);
  // A summary covers the messages up to now, not those sent while its job waits.
  const queued = command.name === 'summary' ? { ...command, upToSeq: await roomLastSeq(gw.knex, roomId) } : command;
  const jobId = await enqueueCommand(gw.queues, queued, {
    requestId,
    roomId,
    requestedBy: user,
  });
  gw.logger.debug({ roomId, userId: user.id, command: command.name, jobId }, 'command queued');
  return { command: command.name, jobId };
}

async function jobExists(gw: GatewayContext, name: 'stock' | 'ai' | 'summary', jobId: string): Promise<boolean> {
  const queue = name === 'stock' ? gw.queues.stock : gw.queues.ai;
  return (await queue.getJob(jobId)) !== undefined;
}
