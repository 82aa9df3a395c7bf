import { randomUUID } from 'node:crypto';
import type { Message } from '@chat/contract';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeError } from '../src/api/errors.js';
import { AiStreams } from '../src/messages/ai-streams.js';
import { Timeline } from '../src/messages/timeline.js';
import { Members } from '../src/presence/members.js';
import { TYPING_RENEW_MS, TypingSender, TypingWatchers } from '../src/typing/typing.js';

const roomId = randomUUID();
const me = { id: randomUUID(), username: 'alice' };
const bob = { id: randomUUID(), username: 'bob' };

const chat = (seq: number, sender = bob, clientId: string = randomUUID()): Message => ({
  id: randomUUID(),
  roomId,
  seq,
  type: 'message',
  content: `m${seq}`,
  sender,
  clientId,
  timestamp: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
});
const aiReply = (seq: number, content: string): Message => ({ ...chat(seq), type: 'bot', sender: { id: null, username: 'ai' }, clientId: null, content });

describe('Timeline', () => {
  it('orders messages by seq whatever order they arrive in and keeps one per seq or id', () => {
    const t = new Timeline(me.id);
    const [m1, m2, m3] = [chat(1), chat(2), chat(3)];
    t.add([m3, m1]);
    t.add([m2, m3, { ...m1, seq: 9 }]);
    expect(t.messages().map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(t.lastSeq).toBe(3);
  });

  it('drops our pending send when the stored message with its clientId arrives, and never shows it pending again', () => {
    const t = new Timeline(me.id);
    t.upsertPending('c-1', 'hello', 'waiting');
    t.upsertPending('c-2', 'again', 'sending');
    t.add([chat(1, bob, 'c-1')]);
    expect(t.pending().map((p) => p.clientId)).toEqual(['c-1', 'c-2']);
    t.add([chat(2, me, 'c-1')]);
    expect(t.pending().map((p) => [p.clientId, p.state])).toEqual([['c-2', 'sending']]);
    // A report of its send that comes after the message (it went out again meanwhile) changes nothing.
    t.upsertPending('c-1', 'hello', 'sending');
    expect(t.pending().map((p) => p.clientId)).toEqual(['c-2']);
  });

  it('anchors a local note after the last message seen when it was made', () => {
    const t = new Timeline(me.id);
    t.add([chat(1), chat(2)]);
    expect(t.addNote('help text').afterSeq).toBe(2);
  });
});

describe('AiStreams', () => {
  it('accumulates deltas per request and lets the final answer replace the stream it completes', () => {
    const streams = new AiStreams();
    streams.delta({ roomId, requestId: 'r1', delta: 'Once ' }, 1);
    streams.delta({ roomId, requestId: 'r2', delta: 'Sure' }, 2);
    streams.delta({ roomId, requestId: 'r1', delta: 'upon' }, 3);
    expect(streams.list().map((s) => s.text)).toEqual(['Once upon', 'Sure']);
    expect(streams.complete(aiReply(1, 'Sure, here it is.'))).toBe(true);
    expect(streams.list().map((s) => s.requestId)).toEqual(['r1']);
  });

  it('ignores messages that are not from the ai and prunes streams that went quiet', () => {
    const streams = new AiStreams();
    streams.delta({ roomId, requestId: 'r1', delta: 'x' }, 0);
    expect(streams.complete(chat(1))).toBe(false);
    expect(streams.prune(1_000)).toBe(false);
    expect(streams.prune(120_000)).toBe(true);
    expect(streams.list()).toEqual([]);
  });
});

describe('Members', () => {
  it('takes online users from the join ack, then follows presence events', () => {
    const members = new Members();
    members.setMembers([
      { ...me, role: 'owner', online: false },
      { ...bob, role: 'member', online: true },
    ]);
    members.setOnline([me]);
    expect(members.list().map((m) => [m.username, m.online])).toEqual([['alice', true], ['bob', false]]);
    members.apply({ roomId, user: bob, status: 'online' });
    const carol = { id: randomUUID(), username: 'carol' };
    members.apply({ roomId, user: carol, status: 'online' });
    expect(members.onlineCount).toBe(3);
    members.apply({ roomId, user: bob, status: 'offline' });
    expect(members.list().map((m) => m.username)).toEqual(['alice', 'carol', 'bob']);
  });
});

describe('typing', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('says true once, renews it every few seconds while typing, and false when stopped', () => {
    vi.useFakeTimers();
    const sent: boolean[] = [];
    const sender = new TypingSender((isTyping) => sent.push(isTyping));
    sender.input(false, 0);
    sender.input(false, 1_000);
    sender.input(false, TYPING_RENEW_MS + 10);
    expect(sent).toEqual([true, true]);
    sender.stop();
    sender.stop();
    expect(sent).toEqual([true, true, false]);
  });

  it('stops on its own after a pause in typing', () => {
    vi.useFakeTimers();
    const sent: boolean[] = [];
    new TypingSender((isTyping) => sent.push(isTyping)).input(false);
    vi.advanceTimersByTime(10_000);
    expect(sent).toEqual([true, false]);
  });

  it('shows who else is typing until they stop or it lapses', () => {
    vi.useFakeTimers();
    const watchers = new TypingWatchers(() => undefined);
    const carol = { id: randomUUID(), username: 'carol' };
    watchers.apply({ roomId, user: bob, isTyping: true });
    expect(watchers.text()).toBe('bob is typing…');
    watchers.apply({ roomId, user: carol, isTyping: true });
    expect(watchers.text()).toBe('bob and carol are typing…');
    watchers.apply({ roomId, user: carol, isTyping: false });
    expect(watchers.text()).toBe('bob is typing…');
    vi.advanceTimersByTime(6_000);
    expect(watchers.text()).toBe('');
  });
});

describe('describeError', () => {
  it('puts every error code into words', () => {
    expect(describeError('validation', 'unknown command /nope; send /help for the list')).toBe('Unknown command /nope; send /help for the list.');
    expect(describeError('rate_limited', '', 12)).toBe('You are going too fast. Please wait 12 s and try again.');
    expect(describeError('rate_limited', 'at most 3 commands a minute; retry in 40 s')).toMatch(/going too fast.*retry in 40 s/);
    expect(describeError('network')).toMatch(/Cannot reach the server/);
  });
});
