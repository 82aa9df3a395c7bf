import { randomUUID } from 'node:crypto';
import { MISSED_MAX, type Ack, type Message, type MessageSendResult, type Room, type RoomJoinResult } from '@chat/contract';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/api/errors.js';
import { Outbox, type OutboxDeps } from '../src/messages/outbox.js';
import { Timeline } from '../src/messages/timeline.js';
import { CATCH_UP_RETRY_NOTE, JOIN_RETRY_NOTE, RoomSync, type RoomSyncDeps } from '../src/rooms/room-sync.js';
import { NotDelivered } from '../src/socket/connection.js';

const roomId = randomUUID();
const me = { id: randomUUID(), username: 'alice' };
const room: Room = { id: roomId, name: 'general', description: '', ownerId: me.id, memberCount: 1, createdAt: new Date(0).toISOString() };

const stored = (seq: number, clientId: string, content = `m${seq}`): Message => ({
  id: randomUUID(), roomId, seq, type: 'message', content, sender: me, clientId, timestamp: new Date(seq * 1000).toISOString(),
});
const lost = () => Promise.reject(new NotDelivered('operation has timed out'));

type SendAnswer = ((content: string, clientId: string) => Promise<Ack<MessageSendResult>>) | 'stored';

/** An outbox over a real Timeline; `send` answers as `answers` say in order (then 'stored': the next seq), and records each call. */
function outbox(answers: SendAnswer[], state = { joined: true, connected: true }) {
  const timeline = new Timeline(me.id);
  const calls: string[] = [];
  const events: string[] = [];
  let seq = 0;
  const deps: OutboxDeps = {
    timeline,
    send: (content, clientId) => {
      calls.push(clientId);
      const answer = answers.shift() ?? 'stored';
      return answer === 'stored' ? Promise.resolve({ ok: true as const, message: stored(++seq, clientId, content) }) : answer(content, clientId);
    },
    isJoined: () => state.joined,
    isConnected: () => state.connected,
    isClosed: () => false,
    onAccepted: (ack) => {
      if ('message' in ack) timeline.add([ack.message]);
      events.push('accepted');
    },
    onInvalid: (content, reason) => events.push(`invalid: ${content}: ${reason}`),
    onUnconfirmed: () => events.push('unconfirmed'),
    changed: () => undefined,
  };
  return { box: new Outbox(deps), timeline, calls, events, state };
}

describe('Outbox', () => {
  it('marks a send that goes unanswered on a live connection unconfirmed, asks for a re-join, and sends it again with the same clientId', async () => {
    const { box, timeline, calls, events } = outbox([lost]);
    box.add('c-1', 'hello');
    await vi.waitFor(() => expect(timeline.getPending('c-1')?.state).toBe('unconfirmed'));
    expect(events).toEqual(['unconfirmed']);

    expect(await box.flush()).toBe(true);
    expect(calls).toEqual(['c-1', 'c-1']);
    expect(timeline.pending()).toEqual([]);
    expect(timeline.messages().map((m) => [m.content, m.clientId])).toEqual([['hello', 'c-1']]);
  });

  it('keeps offline sends waiting, then sends them oldest first and one at a time, stopping at the first that goes unanswered again', async () => {
    const { box, timeline, calls, state } = outbox(['stored', lost], { joined: false, connected: true });
    for (const id of ['c-1', 'c-2', 'c-3']) box.add(id, id);
    await Promise.resolve();
    expect(timeline.pending().map((p) => p.state)).toEqual(['waiting', 'waiting', 'waiting']);
    expect(calls).toEqual([]);

    state.joined = true;
    expect(await box.flush()).toBe(false);
    expect(calls).toEqual(['c-1', 'c-2']);
    expect(timeline.pending().map((p) => [p.clientId, p.state])).toEqual([['c-2', 'unconfirmed'], ['c-3', 'waiting']]);
    // The next re-join goes on from there, in order.
    expect(await box.flush()).toBe(true);
    expect(calls).toEqual(['c-1', 'c-2', 'c-2', 'c-3']);
    expect(timeline.messages().map((m) => m.clientId)).toEqual(['c-1', 'c-2', 'c-3']);
  });

  it('treats unavailable (the gateway could not finish in time) like no answer: unconfirmed, then sent again', async () => {
    const { box, timeline, calls, events } = outbox([
      () => Promise.resolve({ ok: false as const, error: { code: 'unavailable' as const, message: 'try again' } }),
    ]);
    box.add('c-1', 'hello');
    await vi.waitFor(() => expect(timeline.getPending('c-1')?.state).toBe('unconfirmed'));
    expect(events).toEqual(['unconfirmed']);
    expect(await box.flush()).toBe(true);
    expect([calls, timeline.pending()]).toEqual([['c-1', 'c-1'], []]);
  });

  it('waits for the connection when the answer was lost because the socket dropped', async () => {
    const { box, timeline, events, state } = outbox([
      () => {
        state.connected = false;
        return lost();
      },
    ]);
    box.add('c-1', 'hello');
    await vi.waitFor(() => expect(timeline.getPending('c-1')?.state).toBe('waiting'));
    expect(events).toEqual([]);
  });

  it('does not call a send unconfirmed when its message came back stored while the answer was lost', async () => {
    const { box, timeline, events } = outbox([
      (content, clientId) => {
        timeline.add([stored(7, clientId, content)]);
        return lost();
      },
    ]);
    box.add('c-1', 'hello');
    await vi.waitFor(() => expect(timeline.size).toBe(1));
    expect(timeline.pending()).toEqual([]);
    expect(events).toEqual([]);
  });

  it('leaves refusals to the user: rate_limited fails in words with Retry, validation returns to the composer; flush skips failed ones', async () => {
    const { box, timeline, calls, events } = outbox([
      () => Promise.resolve({ ok: false as const, error: { code: 'rate_limited' as const, message: 'at most 60 messages a minute' } }),
      () => Promise.resolve({ ok: false as const, error: { code: 'validation' as const, message: 'content is empty' } }),
    ]);
    box.add('c-1', 'one');
    box.add('c-2', 'two');
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    await vi.waitFor(() => expect(timeline.getPending('c-1')?.state).toBe('failed'));
    expect(timeline.getPending('c-1')).toMatchObject({ retryable: true, error: expect.stringMatching(/going too fast/) });
    expect(timeline.getPending('c-2')).toBeUndefined();
    expect(events).toEqual(['invalid: two: Content is empty.']);

    expect(await box.flush()).toBe(true);
    expect(calls).toHaveLength(2);
    await box.deliver('c-1'); // the user's Retry
    expect(calls).toEqual(['c-1', 'c-2', 'c-1']);
    expect(timeline.pending()).toEqual([]);
  });
});

type JoinAnswer = () => Promise<Ack<RoomJoinResult>>;
const joined = (missed: Message[] = []): JoinAnswer => () => Promise.resolve({ ok: true as const, room, online: [], missed });
const refused = (code: 'unavailable' | 'forbidden'): JoinAnswer => () => Promise.resolve({ ok: false as const, error: { code, message: code } });

/** A RoomSync whose join answers with `answers` in order; records joins, flushes and notes. */
function roomSync(answers: JoinAnswer[], catchUps: (() => Promise<void>)[] = []) {
  const state = { connected: true, joins: 0, flushes: 0, notMember: 0, shown: '' };
  const deps: RoomSyncDeps = {
    join: () => {
      state.joins++;
      return (answers.shift() ?? joined())();
    },
    lastSeq: () => 0,
    canJoin: () => state.connected,
    isConnected: () => state.connected,
    isClosed: () => false,
    onJoined: () => undefined,
    onNotMember: () => void state.notMember++,
    catchUp: () => (catchUps.shift() ?? (() => Promise.resolve()))(),
    flush: async () => {
      state.flushes++;
      return true;
    },
    onError: (text) => void (state.shown = text),
    onErrorOver: (text) => void (state.shown === text && (state.shown = '')),
  };
  return { sync: new RoomSync(deps, { retryMinMs: 1_000, retryMaxMs: 4_000 }), state };
}

describe('RoomSync', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tries an unanswered join again while connected, waiting longer each time, until it is joined', async () => {
    const { sync, state } = roomSync([lost, lost, lost, lost]);
    await sync.run();
    expect([state.joins, sync.joined, state.shown]).toEqual([1, false, JOIN_RETRY_NOTE]);
    await vi.advanceTimersByTimeAsync(999);
    expect(state.joins).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.joins).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(state.joins).toBe(3);
    // The wait stops growing at retryMaxMs.
    await vi.advanceTimersByTimeAsync(4_000);
    expect(state.joins).toBe(4);
    await vi.advanceTimersByTimeAsync(4_000);
    expect([state.joins, sync.joined, state.flushes, state.shown]).toEqual([5, true, 1, '']);
  });

  it('tries again after unavailable, and hands a forbidden join over without trying again', async () => {
    const first = roomSync([refused('unavailable')]);
    await first.sync.run();
    expect(first.state.shown).toBe(JOIN_RETRY_NOTE);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([first.state.joins, first.sync.joined]).toEqual([2, true]);

    const second = roomSync([refused('forbidden')]);
    await second.sync.run();
    await vi.advanceTimersByTimeAsync(60_000);
    expect([second.state.joins, second.state.notMember, second.sync.joined]).toEqual([1, 1, false]);
  });

  it('sends the pending messages even when the catch-up page fails, then joins again to page on', async () => {
    const full = Array.from({ length: MISSED_MAX }, (_, i) => stored(i + 1, `c${i}`));
    const { sync, state } = roomSync([joined(full), joined()], [() => Promise.reject(new ApiError('network', 'down'))]);
    await sync.run();
    expect([sync.joined, state.flushes, state.shown]).toEqual([true, 1, CATCH_UP_RETRY_NOTE]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([state.joins, state.flushes, state.shown]).toEqual([2, 2, '']);
  });

  it('schedules nothing while offline, and a reconnect joins at once instead of waiting out a scheduled try', async () => {
    const answers: JoinAnswer[] = [];
    const { sync, state } = roomSync(answers);
    state.connected = false;
    await sync.run();
    expect(state.joins).toBe(0);

    // The socket drops while the join is out: no timer, the reconnect will join.
    state.connected = true;
    answers.push(() => {
      state.connected = false;
      return lost();
    }, lost);
    await sync.run();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(state.joins).toBe(1);
    state.connected = true;
    await sync.run(); // the reconnect
    expect(state.joins).toBe(2);
    // That one went unanswered on a live socket: a try is scheduled, and the next reconnect replaces it.
    await sync.run();
    expect([state.joins, sync.joined]).toEqual([3, true]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(state.joins).toBe(3);
  });

  it('runs once more after a join that was in flight when the socket reconnected', async () => {
    let answer: (ack: Ack<RoomJoinResult>) => void = () => undefined;
    const slow: JoinAnswer = () => new Promise((resolve) => (answer = resolve));
    const { sync, state } = roomSync([slow]);
    const first = sync.run();
    const second = sync.run();
    answer({ ok: true, room, online: [], missed: [] });
    await Promise.all([first, second]);
    expect([state.joins, state.flushes]).toEqual([2, 2]);
  });
});
