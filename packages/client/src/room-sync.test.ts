import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MISSED_MAX, type HistoryResponse, type Message, type Room, type RoomJoinResult } from '@chat/contract';
import { ChatError } from './errors.js';
import { RoomSync, type HistoryPageQuery, type RoomSyncEvent } from './room-sync.js';

const roomId = randomUUID();
const me = { id: randomUUID(), username: 'alice' };
const room: Room = { id: roomId, name: 'general', description: '', ownerId: me.id, memberCount: 1, createdAt: new Date(0).toISOString() };
const message = (seq: number): Message => ({
  id: `m${seq}`, roomId, seq, type: 'message', content: `m${seq}`, sender: me, clientId: `c${seq}`, timestamp: new Date(seq * 1000).toISOString(),
});
const range = (from: number, to: number): Message[] => Array.from({ length: to - from + 1 }, (_, i) => message(from + i));

type JoinAnswer = (since: number | undefined) => Promise<RoomJoinResult>;
const joined = (missed: Message[] = []): JoinAnswer => () => Promise.resolve({ room, online: [], missed });
const unanswered: JoinAnswer = () => Promise.reject(new ChatError('network', 'room:join was not answered'));
const refused = (code: 'unavailable' | 'forbidden'): JoinAnswer => () => Promise.reject(new ChatError(code, code));

/**
 * A RoomSync over a room whose stored messages are `stored` (REST pages and missed are cut
 * from them, as the servers do); joins answer as `answers` say in order, then as the server would.
 */
function roomSync(answers: JoinAnswer[], stored: Message[] = [], failPages = 0) {
  const state = { connected: true, joins: [] as (number | undefined)[], pages: [] as HistoryPageQuery[], joinedCalls: 0, failPages };
  const delivered: number[] = [];
  const events: RoomSyncEvent[] = [];
  const history = async (query: HistoryPageQuery): Promise<HistoryResponse> => {
    state.pages.push(query);
    if (state.failPages > 0) {
      state.failPages--;
      throw new ChatError('network', 'the server could not be reached');
    }
    const { after, before, limit } = query;
    if (after !== undefined) {
      const newer = stored.filter((m) => m.seq > after);
      return { messages: newer.slice(0, limit), hasMore: newer.length > limit };
    }
    const older = stored.filter((m) => before === undefined || m.seq < before);
    return { messages: older.slice(-limit), hasMore: older.length > limit };
  };
  const sync = new RoomSync(
    {
      roomId,
      join: (since) => {
        state.joins.push(since);
        // By default the server's answer: what is stored after `since`, at most MISSED_MAX.
        const missed = since === undefined ? [] : stored.filter((m) => m.seq > since).slice(0, MISSED_MAX);
        return (answers.shift() ?? joined(missed))(since);
      },
      history,
      connected: () => state.connected,
      deliver: (m) => delivered.push(m.seq),
      joined: () => void state.joinedCalls++,
      report: (event) => events.push(event),
    },
    { retryMinMs: 1_000, retryMaxMs: 4_000, gapWaitMs: 500 },
  );
  return { sync, state, delivered, events };
}

const states = (events: RoomSyncEvent[]) => events.map((e) => (e.state === 'retrying' ? `retrying ${e.stage} in ${e.retryInMs}` : e.state));

describe('RoomSync', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts from the latest page, joins with since = its last seq, and pages past a full missed', async () => {
    const stored = range(1, 60);
    const { sync, state, delivered, events } = roomSync([joined(range(61, 60 + MISSED_MAX))], stored);
    await sync.start(50);
    expect(delivered).toEqual(range(11, 60).map((m) => m.seq));
    expect([sync.oldest, sync.hasOlder]).toEqual([11, true]);
    // 170 more while this client was away: the join's missed holds 100, REST the rest.
    stored.push(...range(61, 230));
    await sync.run();
    expect(state.joins).toEqual([60]);
    expect(delivered).toEqual(range(11, 230).map((m) => m.seq));
    expect(state.pages.filter((p) => p.after !== undefined).map((p) => p.after)).toEqual([160]);
    expect(states(events)).toEqual(['synced']);
  });

  it('tries an unanswered join again while connected, waiting longer each time, until it is joined', async () => {
    const { sync, state, events } = roomSync([unanswered, unanswered, unanswered, unanswered]);
    await sync.start(0);
    await expect(sync.run()).rejects.toMatchObject({ code: 'network' });
    expect([state.joins.length, sync.live]).toEqual([1, false]);
    await vi.advanceTimersByTimeAsync(999);
    expect(state.joins.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.joins.length).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(state.joins.length).toBe(3);
    // The wait stops growing at retryMaxMs.
    await vi.advanceTimersByTimeAsync(4_000);
    expect(state.joins.length).toBe(4);
    await vi.advanceTimersByTimeAsync(4_000);
    expect([state.joins.length, sync.live, state.joinedCalls]).toEqual([5, true, 1]);
    expect(states(events)).toEqual(['retrying join in 1000', 'retrying join in 2000', 'retrying join in 4000', 'retrying join in 4000', 'synced']);
  });

  it('tries again after unavailable, and drops a room whose join is refused as forbidden', async () => {
    const first = roomSync([refused('unavailable')]);
    await first.sync.start(0);
    await first.sync.run().catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([first.state.joins.length, first.sync.live]).toEqual([2, true]);

    const second = roomSync([refused('forbidden')]);
    await second.sync.start(0);
    await expect(second.sync.run()).rejects.toMatchObject({ code: 'forbidden' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect([second.state.joins.length, second.sync.live, states(second.events)]).toEqual([1, false, ['refused']]);
  });

  it('lets the sends go even when a catch-up page fails, then joins again and pages on from what it has', async () => {
    const { sync, state, delivered, events } = roomSync([joined(range(1, MISSED_MAX))], range(1, 130), 1);
    await sync.start(0);
    await sync.run();
    expect([sync.live, state.joinedCalls, delivered.length]).toEqual([true, 1, 100]);
    expect(states(events)).toEqual(['retrying catch-up in 1000']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state.joins).toEqual([undefined, 100]);
    expect(delivered).toEqual(range(1, 130).map((m) => m.seq));
    expect(states(events).at(-1)).toBe('synced');
  });

  it('schedules nothing while offline, and a reconnect joins at once instead of waiting out a scheduled try', async () => {
    const answers: JoinAnswer[] = [];
    const { sync, state } = roomSync(answers);
    await sync.start(0);
    state.connected = false;
    answers.push(unanswered);
    await sync.run().catch(() => undefined);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(state.joins.length).toBe(1);

    // Unanswered on a live socket: a try is scheduled; the reconnect's join replaces it.
    state.connected = true;
    answers.push(unanswered);
    await sync.run().catch(() => undefined);
    sync.disconnected();
    await sync.run();
    expect([state.joins.length, sync.live]).toEqual([3, true]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(state.joins.length).toBe(3);
  });

  it('runs once more after a join that was in flight when the socket reconnected', async () => {
    let answer: (result: RoomJoinResult) => void = () => undefined;
    const { sync, state } = roomSync([() => new Promise((resolve) => (answer = resolve))]);
    await sync.start(0);
    const first = sync.run();
    const second = sync.run();
    answer({ room, online: [], missed: [] });
    await Promise.all([first, second]);
    expect([state.joins.length, state.joinedCalls]).toEqual([2, 2]);
  });

  it('rejoins soon after a send went unanswered, pausing sends meanwhile', async () => {
    const { sync, state } = roomSync([]);
    await sync.start(0);
    await sync.run();
    sync.rejoinSoon();
    expect(sync.live).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([state.joins.length, sync.live]).toEqual([2, true]);
  });

  it('reads a gap that live delivery leaves open over REST, once it has lasted', async () => {
    const stored = range(1, 2);
    const { sync, state, delivered } = roomSync([], stored);
    await sync.start(2);
    await sync.run();
    stored.push(...range(3, 6));
    sync.add(message(4));
    expect(delivered).toEqual([1, 2]);
    // The missing one arriving in time closes the gap without a page.
    sync.add(message(3));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state.pages.filter((p) => p.after !== undefined)).toEqual([]);

    sync.add(message(6));
    await vi.advanceTimersByTimeAsync(499);
    expect(delivered).toEqual([1, 2, 3, 4]);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.pages.filter((p) => p.after !== undefined).map((p) => p.after)).toEqual([4]);
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('pages older messages below the oldest held, until there are none', async () => {
    const { sync, delivered } = roomSync([], range(1, 75));
    await sync.start(50);
    expect([delivered[0], sync.oldest, sync.hasOlder]).toEqual([26, 26, true]);
    const [page, again] = [sync.loadOlder(20), sync.loadOlder(20)];
    expect(again).toBe(page);
    expect((await page).messages.map((m) => m.seq)).toEqual(range(6, 25).map((m) => m.seq));
    expect([sync.oldest, sync.hasOlder]).toEqual([6, true]);
    expect(await sync.loadOlder(20)).toEqual({ messages: range(1, 5), hasMore: false });
    expect(await sync.loadOlder(20)).toEqual({ messages: [], hasMore: false });
    // Older pages are the caller's: the feed goes on from the latest.
    expect(delivered).toEqual(range(26, 75).map((m) => m.seq));
  });
});
