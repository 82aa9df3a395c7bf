import { HELP_TEXT, type MessageSendResult, type ParsedCommand, type UserRef } from '@chat/contract';
import { commandRequestId, enqueueCommand, type CommandQueues, type Logger } from '@chat/runtime';
import type { RoomStore } from '@chat/store';
import type { SendLimits } from '../ratelimit/rate-limits.js';

export interface CommandRequest {
  roomId: string;
  clientId: string;
  user: UserRef;
  command: ParsedCommand;
}

export interface CommandRunnerDeps {
  queues: CommandQueues;
  limits: Pick<SendLimits, 'command'>;
  rooms: Pick<RoomStore, 'lastSeq'>;
  logger: Logger;
}

export type CommandRunner = (request: CommandRequest) => Promise<MessageSendResult>;

/**
 * A recognised command: `/help` is answered in the ack, the rest become jobs for
 * the bot workers. The job id derives from (room, user, clientId), so a retried
 * send maps to the same job. Every command spends the user's command budget,
 * except a repeat of one already queued (a retry after a lost ack).
 */
export function createCommandRunner({ queues, limits, rooms, logger }: CommandRunnerDeps): CommandRunner {
  const log = logger.child({ module: 'commands' });
  const jobExists = async (name: 'stock' | 'ai' | 'summary', jobId: string): Promise<boolean> =>
    (await (name === 'stock' ? queues.stock : queues.ai).getJob(jobId)) !== undefined;

  return async ({ roomId, clientId, user, command }) => {
    if (command.name === 'help') {
      await limits.command(user.id);
      return { command: 'help', text: HELP_TEXT };
    }
    const requestId = commandRequestId(roomId, user.id, clientId);
    // Found again, even at the limit, without spending the budget twice.
    if (await jobExists(command.name, requestId)) return { command: command.name, jobId: requestId };
    await limits.command(user.id);
    // A summary covers the messages up to now, not those sent while its job waits.
    const queued = command.name === 'summary' ? { ...command, upToSeq: await rooms.lastSeq(roomId) } : command;
    const jobId = await enqueueCommand(queues, queued, { requestId, roomId, requestedBy: user });
    log.debug({ roomId, userId: user.id, command: command.name, jobId }, 'command queued');
    return { command: command.name, jobId };
  };
}
