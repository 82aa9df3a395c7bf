import type { Message } from '@chat/contract';
import { countsAsUnread } from '../rooms/unread.js';

/** Messages of one sender closer together than this share one name and time. */
export const GROUP_WITHIN_MS = 5 * 60_000;

/** A message in its place in the list: after a day separator and/or the "new messages" divider, maybe grouped with the one before. */
export interface PlacedMessage {
  message: Message;
  /** The day's label when this message starts a day ("Today", "Yesterday", a date). */
  day?: string;
  /** The "new messages" divider goes just above this one. */
  divider: boolean;
  /** Follows a message of the same sender within GROUP_WITHIN_MS: its name and time are not shown again. */
  grouped: boolean;
}

/** The local calendar day of a time, as a key. */
export const dayKey = (date: Date): string => `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;

/** "Today", "Yesterday", else a date in the reader's words ("Monday, 30 November"; the year when not this one). */
export function dayLabel(date: Date, now = new Date(), locale?: string): string {
  if (dayKey(date) === dayKey(now)) return 'Today';
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (dayKey(date) === dayKey(yesterday)) return 'Yesterday';
  const year = date.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' as const };
  return date.toLocaleDateString(locale, { weekday: 'long', month: 'long', day: 'numeric', ...year });
}

/** Who a message is from, for grouping: a person's id, a bot's name; undefined for a system message. */
const author = (m: Message): string | undefined => {
  if (m.type === 'system' || m.sender === null) return undefined;
  return m.sender.id ?? `bot:${m.sender.username}`;
};

/** Whether `m` continues `prev`: same sender, same day, within GROUP_WITHIN_MS. */
export function continues(prev: Message | undefined, m: Message): boolean {
  if (!prev) return false;
  const who = author(m);
  if (who === undefined || who !== author(prev)) return false;
  const [a, b] = [new Date(prev.timestamp), new Date(m.timestamp)];
  return dayKey(a) === dayKey(b) && b.getTime() - a.getTime() >= 0 && b.getTime() - a.getTime() < GROUP_WITHIN_MS;
}

/** The cursor and the room's last seq when the room was opened: what was unread then. */
export interface UnreadAtOpen {
  readSeq: number;
  lastSeq: number;
}

/**
 * The seq the "new messages" divider goes above: the first message that was unread when the
 * room opened (someone else's, after the cursor, not newer than the room's last seq then).
 * Undefined when nothing was unread, so messages that arrive while the room is open get none.
 */
export function dividerSeq(messages: readonly Message[], at: UnreadAtOpen | undefined, myUserId: string): number | undefined {
  if (!at || at.lastSeq <= at.readSeq) return undefined;
  return messages.find((m) => m.seq > at.readSeq && m.seq <= at.lastSeq && countsAsUnread(m, myUserId))?.seq;
}

/** Places a room's messages (ascending seq): day separators, the divider, and grouping (which neither crosses). */
export function placeMessages(messages: readonly Message[], divider: number | undefined, now = new Date()): PlacedMessage[] {
  const placed: PlacedMessage[] = [];
  let prev: Message | undefined;
  for (const message of messages) {
    const date = new Date(message.timestamp);
    const newDay = !prev || dayKey(new Date(prev.timestamp)) !== dayKey(date);
    const isDivider = message.seq === divider;
    placed.push({
      message,
      ...(newDay ? { day: dayLabel(date, now) } : {}),
      divider: isDivider,
      grouped: !newDay && !isDivider && continues(prev, message),
    });
    prev = message;
  }
  return placed;
}
