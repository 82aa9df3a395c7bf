import type { Message, RoomListItem } from '@chat/contract';

/** What counts as unread, as the server counts it: a person's or a bot's message, sent by someone else. */
export const countsAsUnread = (m: Message, myUserId: string): boolean => (m.type === 'message' || m.type === 'bot') && m.sender?.id !== myUserId;

/**
 * How many of `messages` (one room's, ascending seq) after `readSeq` count as unread, or
 * undefined when they do not reach back to the cursor (older ones may be missing).
 */
export function unreadAfter(messages: readonly Message[], readSeq: number, myUserId: string): number | undefined {
  const first = messages[0];
  if (first && first.seq > readSeq + 1) return undefined;
  return messages.filter((m) => m.seq > readSeq && countsAsUnread(m, myUserId)).length;
}

/** The unread messages of every joined room. */
export const totalUnread = (rooms: Iterable<Pick<RoomListItem, 'joined' | 'unread'>>): number => {
  let total = 0;
  for (const room of rooms) if (room.joined) total += room.unread ?? 0;
  return total;
};

/** The tab's title: "(3) Chat" while something is unread. */
export const titleWithUnread = (total: number, title = 'Chat'): string => (total > 0 ? `(${total > 99 ? '99+' : total}) ${title}` : title);
