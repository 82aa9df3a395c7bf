import { createHash } from 'node:crypto';

/**
 * A stable UUID-shaped id for a command request, so that a retried
 * `message:send` with the same clientId enqueues the same BullMQ job.
 */
export function commandRequestId(roomId: string, userId: string, clientId: string): string {
  const hex = createHash('sha256').update(`${roomId}\n${userId}\n${clientId}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
