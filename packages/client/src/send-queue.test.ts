import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message, MessageSendPayload } from '@chat/contract';
import type { ChatSocket } from './client.js';
import type { SendEvent } from './client-options.js';
import { ChatError } from './errors.js';
import { SendQueue } from './send-queue.js';

const roomId = randomUUID();
const me = { id: randomUUID(), username: 'alice' };
const stored = (seq: number, { clientId, content }: MessageSendPayload): Message => ({
  id: randomUUID(), roomId, seq, type: 'message', content, sender: me, clientId, timestamp: new Date(seq * 1000).toISOString(),
});

type Answer = 'stored' | 'lost' | 'drop connection' | { code: 'unavailable' | 'rate_limited' | 'validation'; retryAfterMs?: number };

/**
 * A SendQueue over a stand-in for socket.io-client's socket (only what `request` uses): each
 * `message:send` is answered as `answers` say in order, then stored under the next seq.
 */
function queue(answers: Answer[]) {
  const state = { live: new Set<string>([roomId]), sent: [] as string[], events: [] as string[], rejoins: [] as string[], seq: 0 };
  const socket = {
    connected: true,
    timeout: () => ({
      emitWithAck: (_event: string, payload: MessageSendPayload) => {
        state.sent.push(payload.clientId);
        const answer = answers.shift() ?? 'stored';
        if (answer === 'stored') return Promise.resolve({ ok: true, message: stored(++state.seq, payload) });
        if (answer === 'lost') return Promise.reject(new Error('operation has timed out'));
        if (answer === 'drop connection') {
          socket.connected = false;
          return Promise.reject(new Error('socket has been disconnected'));
        }
        return Promise.resolve({ ok: false, error: { message: answer.code, ...answer } });
      },
    }),
  };
  const sends = new SendQueue({
    socket: () => socket as unknown as ChatSocket,
    liveRooms: () => state.live,
    stored: () => undefined,
    // As the client does: the room is not live until it is joined again.
    unanswered: (id) => {
      state.rejoins.push(id);
      state.live.delete(id);
    },
    emit: (event: SendEvent) => void state.events.push(`${event.clientId} ${event.state}`),
    ackTimeoutMs: 15_000,
  });
  return { sends, socket, state };
}

describe('SendQueue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('calls a send unanswered on a live connection unconfirmed, has its room joined again, then sends it again with the same clientId', async () => {
    const { sends, state } = queue(['lost']);
    const sent = sends.add(roomId, 'hello', 'c-1');
    await vi.waitFor(() => expect(state.rejoins).toEqual([roomId]));
    expect(sends.pending.map((s) => [s.clientId, s.state])).toEqual([['c-1', 'unconfirmed']]);
    expect(state.sent).toEqual(['c-1']);
    // Joined again: the client flushes.
    state.live.add(roomId);
    sends.flush();
    expect(await sent).toMatchObject({ message: { clientId: 'c-1', content: 'hello' } });
    expect(state.sent).toEqual(['c-1', 'c-1']);
    expect(state.events).toEqual(['c-1 waiting', 'c-1 sending', 'c-1 unconfirmed', 'c-1 sending', 'c-1 sent']);
    expect(sends.pending).toEqual([]);
  });

  it('keeps sends waiting until their room is live, and puts one whose connection dropped back to waiting', async () => {
    const { sends, socket, state } = queue(['drop connection']);
    state.live.clear();
    const first = sends.add(roomId, 'one', 'c-1');
    const second = sends.add(roomId, 'two', 'c-2');
    expect(state.sent).toEqual([]);
    state.live.add(roomId);
    sends.flush();
    // The first went out and lost its connection; the second found none.
    await vi.waitFor(() => expect(sends.pending.map((s) => s.state)).toEqual(['waiting', 'waiting']));
    expect([state.sent, state.rejoins]).toEqual([['c-1'], []]);
    // Reconnected and joined again: both go out, oldest first, the first with its clientId again.
    socket.connected = true;
    sends.flush();
    expect([await first, await second].map((r) => ('message' in r ? r.message.content : ''))).toEqual(['one', 'two']);
    expect(state.sent).toEqual(['c-1', 'c-1', 'c-2']);
  });

  it('sends again after a pause what was answered unavailable, without a join', async () => {
    vi.useFakeTimers();
    const { sends, state } = queue([{ code: 'unavailable' }]);
    const sent = sends.add(roomId, 'hello', 'c-1');
    await vi.advanceTimersByTimeAsync(0);
    expect(sends.pending.map((s) => s.state)).toEqual(['unconfirmed']);
    await vi.advanceTimersByTimeAsync(499);
    expect(state.sent).toEqual(['c-1']);
    await vi.advanceTimersByTimeAsync(1);
    await expect(sent).resolves.toMatchObject({ message: { clientId: 'c-1' } });
    expect([state.sent, state.rejoins]).toEqual([['c-1', 'c-1'], []]);
  });

  it('settles refusals: rate_limited with retryAfterMs, validation; each reported failed once and not sent again', async () => {
    const { sends, state } = queue([{ code: 'rate_limited', retryAfterMs: 40_000 }, { code: 'validation' }]);
    const [limited, invalid] = [sends.add(roomId, 'one', 'c-1'), sends.add(roomId, '', 'c-2')];
    await expect(limited).rejects.toMatchObject({ code: 'rate_limited', retryAfterMs: 40_000 });
    await expect(invalid).rejects.toMatchObject({ code: 'validation' });
    sends.flush();
    expect(state.sent).toEqual(['c-1', 'c-2']);
    expect(state.events.filter((e) => e.endsWith('failed'))).toEqual(['c-1 failed', 'c-2 failed']);
    expect(sends.pending).toEqual([]);
  });

  it('fails every waiting send when the client closes', async () => {
    const { sends, state } = queue([]);
    state.live.clear();
    const waiting = sends.add(roomId, 'one', 'c-1');
    sends.failAll(new ChatError('closed', 'closed'));
    await expect(waiting).rejects.toMatchObject({ code: 'closed' });
    expect(state.events).toEqual(['c-1 waiting', 'c-1 failed']);
  });
});
