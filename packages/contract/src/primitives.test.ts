import { describe, expect, it } from 'vitest';
import { describeZodError } from './validation.js';
import { createRoomBodySchema, credentialsBodySchema, loginBodySchema } from './rest.js';
import { messageSendPayloadSchema } from './socket.js';
import { isEmoji, toWellFormed } from './primitives.js';

const roomId = '9b1f8f8e-3c1d-4c55-8d55-1f0f6a2b7c31';

/** The message a client would get: the first issue, naming its field. */
function refusal(schema: { safeParse(input: unknown): { success: boolean; error?: unknown } }, input: unknown): string | undefined {
  const result = schema.safeParse(input);
  return result.success ? undefined : describeZodError(result.error as Parameters<typeof describeZodError>[0]);
}

describe('NUL (\\u0000) in text fields', () => {
  it.each([
    ['message:send content', messageSendPayloadSchema, { roomId, content: 'hi\u0000there', clientId: 'c-1' }, 'content'],
    ['message:send content, NUL at the end', messageSendPayloadSchema, { roomId, content: 'hi\u0000', clientId: 'c-1' }, 'content'],
    ['message:send clientId', messageSendPayloadSchema, { roomId, content: 'hi', clientId: 'c-\u0000' }, 'clientId'],
    ['a room name', createRoomBodySchema, { name: 'lob\u0000by' }, 'name'],
    ['a room description', createRoomBodySchema, { name: 'lobby', description: 'about\u0000' }, 'description'],
    ['a login username', loginBodySchema, { username: 'alice\u0000', password: 'whatever1' }, 'username'],
    ['a register username', credentialsBodySchema, { username: 'alice\u0000', password: 'whatever1' }, 'username'],
  ])('refuses it in %s, naming the field', (_, schema, input, field) => {
    const message = refusal(schema, input);
    expect(message).toMatch(new RegExp(`^${field}: `));
    if (field !== 'username' || schema === loginBodySchema) expect(message).toContain('NUL');
  });

  it('accepts it in passwords, which are only ever hashed', () => {
    expect(refusal(loginBodySchema, { username: 'alice', password: 'pass\u0000word' })).toBeUndefined();
    expect(refusal(credentialsBodySchema, { username: 'alice', password: 'pass\u0000word' })).toBeUndefined();
  });

  it('still accepts other control and non-ASCII characters', () => {
    expect(refusal(messageSendPayloadSchema, { roomId, content: 'tab\there ✓ \u0001', clientId: 'c-1' })).toBeUndefined();
    expect(refusal(createRoomBodySchema, { name: 'Ärger', description: 'line\nbreak' })).toBeUndefined();
  });
});

describe('toWellFormed', () => {
  it('replaces each lone surrogate with U+FFFD and keeps pairs and everything else', () => {
    expect(toWellFormed('x\ud800y')).toBe('x\ufffdy');
    expect(toWellFormed('\udc00')).toBe('\ufffd');
    expect(toWellFormed('a\ud83d')).toBe('a\ufffd');
    expect(toWellFormed('😀 ok \ud83d\ude00')).toBe('😀 ok 😀');
    expect(toWellFormed('\udc00\ud800')).toBe('\ufffd\ufffd');
    expect(toWellFormed('plain')).toBe('plain');
  });
});

describe('isEmoji', () => {
  it.each(['👍', '❤️', '❤', '👍🏽', '1️⃣', '#️⃣', '🇫🇷', '👨‍👩‍👧', '🏳️‍🌈', '🏴󠁧󠁢󠁥󠁮󠁧󠁿', '🧑🏽‍💻'])('takes %s as one emoji', (emoji) => {
    expect(isEmoji(emoji)).toBe(true);
  });
  it.each(['', 'a', '1', '#', '*', ':)', '👍👍', ' 👍', '👍 ', '🇫', '🇫🇷🇩🇪', '\u200d', '👍\u200d'])('refuses %j', (value) => {
    expect(isEmoji(value)).toBe(false);
  });
});
