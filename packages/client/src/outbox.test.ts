import { describe, expect, it } from 'vitest';
import type { MessageSendResult } from '@chat/contract';
import { ChatError } from './errors.js';
import { Outbox, retryDelayMs } from './outbox.js';

function add(outbox: Outbox, roomId: string, clientId: string) {
  const settled: (MessageSendResult | ChatError)[] = [];
  const send = outbox.add({ roomId, content: clientId, clientId, resolve: (r) => settled.push(r), reject: (e) => settled.push(e) });
  return { send, settled };
}

describe('Outbox', () => {
  it("offers only the joined rooms' sends, oldest first, and not while one is in flight or waiting out a retry", () => {
    const outbox = new Outbox();
    const a1 = add(outbox, 'a', 'a1');
    add(outbox, 'b', 'b1');
    const a2 = add(outbox, 'a', 'a2');
    expect(outbox.due(new Set(['a']), 0).map((s) => s.clientId)).toEqual(['a1', 'a2']);
    a1.send.inFlight = true;
    a2.send.notBefore = 1_000;
    expect(outbox.due(new Set(['a', 'b']), 500).map((s) => s.clientId)).toEqual(['b1']);
    expect(outbox.nextDue(500)).toBe(1_000);
    expect(outbox.due(new Set(['a']), 1_000).map((s) => s.clientId)).toEqual(['a2']);
  });

  it('settles a send once, and fails every waiting one when closed', () => {
    const outbox = new Outbox();
    const done = add(outbox, 'a', 'a1');
    const waiting = add(outbox, 'a', 'a2');
    outbox.settle(done.send, { result: { command: 'help', text: 'help' } });
    expect(done.settled).toEqual([{ command: 'help', text: 'help' }]);
    outbox.failAll(new ChatError('closed', 'closed'));
    expect(waiting.settled).toEqual([expect.objectContaining({ code: 'closed' })]);
    expect(outbox.pending).toEqual([]);
  });

  it('backs off 0.5, 1, 2, 4, then 8 s between retries', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(retryDelayMs)).toEqual([500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });
});
