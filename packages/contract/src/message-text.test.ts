import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MessageText, readMessageTexts, splitMessageTexts } from './message-text.js';
import type { Message } from './rest.js';

/** A message in the services' form: the contract's key order, compact (as chat_message_json writes it). */
const message = (content: string, seq = 1, roomId: string = randomUUID()): Message => ({
  id: randomUUID(),
  roomId,
  seq,
  type: 'message',
  content,
  sender: { id: randomUUID(), username: 'alice "the" \\ one' },
  clientId: 'c-1',
  timestamp: '2026-12-02T13:05:24.123Z',
});

/** The same message with `seq` first: another key order. */
const seqFirst = ({ seq, ...rest }: Message): string => JSON.stringify({ seq, ...rest });

// Text that looks like the markers the reader looks for, inside a message's strings.
const tricky = ['","timestamp":"2026-12-02T13:05:24.123Z"}', ',{"id":"', '"}],[{', 'a\\', '\\"', '}', 'ünï ✓ \u2028 \u0001\n', ''];

describe('MessageText', () => {
  it.each(tricky)('reads room and seq off the text of a message holding %j, and parses it only when asked', (content) => {
    const m = message(content, 4321);
    const text = MessageText.of(JSON.stringify(m));
    expect(text).toEqual({ json: JSON.stringify(m), roomId: m.roomId, seq: 4321 });
    expect(text.message).toEqual(m);
    expect(text.message).toBe(text.message);
  });

  it('parses a message in another form (other key order, an extra key after the timestamp)', () => {
    const m = message('hi', 9);
    const reordered = seqFirst(m);
    const withReactions = JSON.stringify({ ...m, reactions: [{ emoji: '👍', count: 1, reacted: false }] });
    for (const json of [reordered, withReactions, JSON.stringify(m, null, 2)]) {
      const text = MessageText.of(json);
      expect([text.json, text.roomId, text.seq]).toEqual([json, m.roomId, 9]);
    }
  });

  it('refuses a text that is not a message', () => {
    expect(() => MessageText.of('{"id":"x"}')).toThrow(TypeError);
    expect(() => MessageText.of('nope')).toThrow(SyntaxError);
  });
});

describe('splitMessageTexts', () => {
  it('splits an array of messages in the services form into each text, whatever their strings hold', () => {
    const roomId = randomUUID();
    const messages = tricky.map((content, i) => message(content, i + 1, roomId));
    const texts = splitMessageTexts(`[${messages.map((m) => JSON.stringify(m)).join(',')}]`);
    expect(texts?.map((t) => [t.json, t.roomId, t.seq])).toEqual(messages.map((m) => [JSON.stringify(m), roomId, m.seq]));
    expect(texts?.map((t) => t.message)).toEqual(messages);
    expect(splitMessageTexts('[]')).toEqual([]);
  });

  it.each([
    ['not an array', JSON.stringify(message('x'))],
    ['a message in another key order', `[${seqFirst(message('x'))}]`],
    ['a message without its timestamp, then another', `[${JSON.stringify({ ...message('x'), timestamp: undefined })},${JSON.stringify(message('y'))}]`],
    ['a key after the timestamp', `[${JSON.stringify({ ...message('x'), reactions: [] })}]`],
    ['something after the last message', `[${JSON.stringify(message('x'))},]`],
    ['a seq of 0', `[${JSON.stringify(message('x', 0))}]`],
    ['a cut message', `[${JSON.stringify(message('x')).slice(0, -3)}]`],
  ])('leaves to the parser an array with %s', (_, text) => {
    expect(splitMessageTexts(text)).toBeUndefined();
  });
});

describe('readMessageTexts', () => {
  it('parses what it cannot split, keeping each message', () => {
    const m = message('x', 3);
    const texts = readMessageTexts(`[${JSON.stringify({ ...m, reactions: [] })}, ${seqFirst(message('y', 4, m.roomId))}]`);
    expect(texts?.map((t) => [t.roomId, t.seq])).toEqual([
      [m.roomId, 3],
      [m.roomId, 4],
    ]);
    expect(texts?.[0]?.message).toEqual({ ...m, reactions: [] });
  });

  it.each([['{'], ['{}'], ['[{"roomId":"r"}]'], ['[1]'], ['null']])('refuses %j', (text) => {
    expect(readMessageTexts(text)).toBeUndefined();
  });
});
