import { randomUUID } from 'node:crypto';
import type { Message, ReactionEvent } from '@chat/contract';
import { describe, expect, it } from 'vitest';
import { continues, dayLabel, dividerSeq, GROUP_WITHIN_MS, placeMessages } from '../src/messages/layout.js';
import { applyReactionEvent, withReaction } from '../src/messages/reactions.js';
import { Timeline } from '../src/messages/timeline.js';
import { titleWithUnread, totalUnread, unreadAfter } from '../src/rooms/unread.js';

const roomId = randomUUID();
const me = { id: randomUUID(), username: 'alice' };
const bob = { id: randomUUID(), username: 'bob' };
/** Local noon of 20 May 2026, so a few minutes either way stay on the day. */
const noon = new Date(2026, 4, 20, 12, 0, 0);
const at = (minutes: number, day = 0): string => new Date(noon.getFullYear(), noon.getMonth(), noon.getDate() + day, 12, minutes).toISOString();

const msg = (seq: number, sender: Message['sender'] = bob, timestamp = at(seq), type: Message['type'] = 'message'): Message => ({
  id: randomUUID(), roomId, seq, type, content: `m${seq}`, sender, clientId: type === 'message' ? randomUUID() : null, timestamp,
});
const system = (seq: number, timestamp = at(seq)) => msg(seq, null, timestamp, 'system');
const bot = (seq: number, timestamp = at(seq)) => msg(seq, { id: null, username: 'stock-bot' }, timestamp, 'bot');

describe('grouping', () => {
  it('groups a sender’s messages within a few minutes, and starts again for another sender, a bot, a system message or a pause', () => {
    const messages = [msg(1, bob, at(0)), msg(2, bob, at(1)), msg(3, me, at(2)), msg(4, me, at(3)), bot(5, at(4)), bot(6, at(4)), system(7, at(5)), msg(8, me, at(6)), msg(9, me, at(6 + GROUP_WITHIN_MS / 60_000))];
    expect(placeMessages(messages, undefined, noon).map((p) => p.grouped)).toEqual([false, true, false, true, false, true, false, false, false]);
  });

  it('does not group across midnight, nor a message that claims to be older than the one before', () => {
    const lateNight = new Date(2026, 4, 20, 23, 59).toISOString();
    const justAfter = new Date(2026, 4, 21, 0, 1).toISOString();
    expect(continues(msg(1, bob, lateNight), msg(2, bob, justAfter))).toBe(false);
    expect(continues(msg(1, bob, at(5)), msg(2, bob, at(4)))).toBe(false);
  });
});

describe('day separators', () => {
  it('names today and yesterday, and other days by their date (with the year when not this one)', () => {
    expect(dayLabel(new Date(at(0)), noon)).toBe('Today');
    expect(dayLabel(new Date(at(0, -1)), noon)).toBe('Yesterday');
    // ICU builds differ in punctuation: the words are what matter.
    expect(dayLabel(new Date(2026, 4, 12), noon, 'en-GB')).toMatch(/^Tuesday,? 12 May$/);
    expect(dayLabel(new Date(2025, 11, 31), noon, 'en-GB')).toMatch(/^Wednesday,? 31 December 2025$/);
  });

  it('puts one before the first message of each day, and never groups across it', () => {
    const messages = [msg(1, bob, at(0, -2)), msg(2, bob, at(1, -2)), msg(3, bob, at(0, -1)), msg(4, bob, at(0)), msg(5, bob, at(1))];
    const placed = placeMessages(messages, undefined, noon);
    expect(placed.map((p) => p.day)).toEqual([new Date(at(0, -2)).toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric' }), undefined, 'Yesterday', 'Today', undefined]);
    expect(placed.map((p) => p.grouped)).toEqual([false, true, false, false, true]);
  });
});

describe('the new messages divider', () => {
  it('goes above the first message someone else sent after the cursor as it was when the room opened', () => {
    const messages = [msg(1), msg(2, me), system(3), msg(4, me), msg(5), msg(6)];
    expect(dividerSeq(messages, { readSeq: 2, lastSeq: 6 }, me.id)).toBe(5);
    expect(dividerSeq([...messages.slice(0, 4), bot(5)], { readSeq: 2, lastSeq: 5 }, me.id)).toBe(5);
  });

  it('is not shown when nothing was unread at the opening, however many messages arrive after it', () => {
    const messages = [msg(1), msg(2), msg(3), msg(4)];
    expect(dividerSeq(messages, { readSeq: 2, lastSeq: 2 }, me.id)).toBeUndefined();
    expect(dividerSeq(messages, undefined, me.id)).toBeUndefined();
    // Only our own and system messages after the cursor: nothing to point at.
    expect(dividerSeq([msg(1), msg(2, me), system(3), msg(4)], { readSeq: 1, lastSeq: 3 }, me.id)).toBeUndefined();
  });

  it('breaks a group: the first unread message shows its sender again', () => {
    const placed = placeMessages([msg(1, bob, at(0)), msg(2, bob, at(1)), msg(3, bob, at(2))], 2, noon);
    expect(placed.map((p) => [p.divider, p.grouped])).toEqual([[false, false], [true, false], [false, true]]);
  });
});

describe('unread counts', () => {
  it('counts others’ messages and bot replies after the cursor, or says it cannot when messages up to it are missing', () => {
    const messages = [msg(3), msg(4, me), system(5), bot(6), msg(7)];
    expect(unreadAfter(messages, 3, me.id)).toBe(2);
    expect(unreadAfter(messages, 2, me.id)).toBe(3);
    expect(unreadAfter(messages, 7, me.id)).toBe(0);
    expect(unreadAfter(messages, 1, me.id)).toBeUndefined();
    expect(unreadAfter([], 4, me.id)).toBe(0);
  });

  it('adds up the joined rooms for the tab title', () => {
    const total = totalUnread([{ joined: true, unread: 2 }, { joined: true }, { joined: false, unread: 9 }, { joined: true, unread: 1 }]);
    expect(total).toBe(3);
    expect(titleWithUnread(total)).toBe('(3) Chat');
    expect(titleWithUnread(0)).toBe('Chat');
    expect(titleWithUnread(250)).toBe('(99+) Chat');
  });
});

describe('reactions', () => {
  const event = (m: Message, user: { id: string; username: string }, emoji: string, on: boolean, count: number): ReactionEvent => ({ roomId, messageId: m.id, seq: m.seq, emoji, user, on, count });

  it('keeps the order of first use, our own mark from our changes only, and drops an emoji at 0', () => {
    let list = withReaction([], '👍', 1, true);
    list = applyReactionEvent(list, event(msg(1), bob, '🎉', true, 1), me.id);
    list = applyReactionEvent(list, event(msg(1), bob, '👍', true, 2), me.id);
    expect(list).toEqual([{ emoji: '👍', count: 2, reacted: true }, { emoji: '🎉', count: 1, reacted: false }]);
    list = applyReactionEvent(list, event(msg(1), me, '👍', false, 1), me.id);
    list = applyReactionEvent(list, event(msg(1), bob, '🎉', false, 0), me.id);
    expect(list).toEqual([{ emoji: '👍', count: 1, reacted: false }]);
  });

  it('starts from the reactions a history page carries, and ignores events for messages it does not hold', () => {
    const t = new Timeline(me.id);
    const m = { ...msg(1), reactions: [{ emoji: '❤️', count: 2, reacted: true }] };
    t.add([m]);
    expect(t.applyReaction(event(m, bob, '❤️', true, 3))).toBe(true);
    expect(t.applyReaction(event(msg(2), bob, '❤️', true, 1))).toBe(false);
    t.setOwnReaction(m.id, '😮', 1, true);
    expect(t.reactions(m.id)).toEqual([{ emoji: '❤️', count: 3, reacted: true }, { emoji: '😮', count: 1, reacted: true }]);
  });
});
