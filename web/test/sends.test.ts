import { randomUUID } from 'node:crypto';
import { ChatError, type SendEvent } from '@chat/client';
import type { Message } from '@chat/contract';
import { describe, expect, it } from 'vitest';
import { showSend } from '../src/messages/sends.js';
import { Timeline } from '../src/messages/timeline.js';

const roomId = randomUUID();
const me = { id: randomUUID(), username: 'alice' };
const stored = (seq: number, clientId: string, content: string): Message => ({
  id: randomUUID(), roomId, seq, type: 'message', content, sender: me, clientId, timestamp: new Date(seq * 1000).toISOString(),
});
const send = (clientId: string, content: string) => ({ roomId, clientId, content });
const pending = (t: Timeline) => t.pending().map((p) => [p.clientId, p.state]);

describe('showSend: our sends on the timeline as the SDK reports them', () => {
  it('shows a send pending while it waits, goes out or goes unanswered, then its stored message in its place', () => {
    const t = new Timeline(me.id);
    const states: string[][][] = [];
    for (const state of ['waiting', 'sending', 'unconfirmed', 'sending'] as const) {
      showSend(t, { ...send('c-1', 'hello'), state });
      states.push(pending(t) as string[][]);
    }
    expect(states).toEqual([[['c-1', 'waiting']], [['c-1', 'sending']], [['c-1', 'unconfirmed']], [['c-1', 'sending']]]);
    showSend(t, { ...send('c-1', 'hello'), state: 'sent', result: { message: stored(7, 'c-1', 'hello') } });
    expect(pending(t)).toEqual([]);
    expect(t.messages().map((m) => [m.seq, m.content])).toEqual([[7, 'hello']]);
  });

  it('does not show a send pending again once its message is stored (it was resent after an unanswered try)', () => {
    const t = new Timeline(me.id);
    showSend(t, { ...send('c-1', 'hello'), state: 'unconfirmed' });
    // The rejoin's missed held it: stored after all.
    t.add([stored(3, 'c-1', 'hello')]);
    showSend(t, { ...send('c-1', 'hello'), state: 'sending' });
    expect(pending(t)).toEqual([]);
  });

  it('hands an invalid send back for the message box, with the reason in words', () => {
    const t = new Timeline(me.id);
    showSend(t, { ...send('c-1', '/nope'), state: 'sending' });
    const refused = showSend(t, { ...send('c-1', '/nope'), state: 'failed', error: new ChatError('validation', 'unknown command /nope; send /help for the list') });
    expect(refused).toEqual({ content: '/nope', reason: 'Unknown command /nope; send /help for the list.' });
    expect(pending(t)).toEqual([]);
  });

  it('fails a refused send in words, with Retry where trying again may help; a retry shows it pending again', () => {
    const t = new Timeline(me.id);
    const limited: SendEvent = { ...send('c-1', 'one'), state: 'failed', error: new ChatError('rate_limited', 'at most 60 messages a minute', 12_000) };
    expect(showSend(t, limited)).toBeUndefined();
    showSend(t, { ...send('c-2', 'two'), state: 'failed', error: new ChatError('forbidden', 'join the room first') });
    expect(t.pending().map((p) => [p.state, p.error, p.retryable])).toEqual([
      ['failed', 'You are going too fast. Please wait 12 s and try again.', true],
      ['failed', 'Not allowed: Join the room first.', false],
    ]);
    // Retry: the SDK reports the same clientId waiting again; the failure is gone.
    showSend(t, { ...send('c-1', 'one'), state: 'waiting' });
    expect(t.getPending('c-1')).toEqual({ clientId: 'c-1', content: 'one', state: 'waiting' });
  });

  it("leaves a note only the sender sees for a command's acceptance, and drops sends the closed client gave up", () => {
    const t = new Timeline(me.id);
    showSend(t, { ...send('c-1', '/stock=AAPL.US'), state: 'sent', result: { command: 'stock', jobId: 'j1' } });
    expect(t.notes().map((n) => n.text)).toEqual(['/stock=AAPL.US — asked stock-bot for a quote; the answer will appear here for everyone.']);
    showSend(t, { ...send('c-2', 'bye'), state: 'waiting' });
    showSend(t, { ...send('c-2', 'bye'), state: 'failed', error: new ChatError('closed', 'the client was closed') });
    expect(pending(t)).toEqual([]);
  });
});
