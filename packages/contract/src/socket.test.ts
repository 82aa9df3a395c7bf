import { describe, expect, it } from 'vitest';
import { ackSchemas, messageSendPayloadSchema, serverEventSchemas } from './socket.js';

const user = { id: '4f1c2a9e-8a55-4d7b-9a43-2f4f3f6b1a10', username: 'alice', createdAt: '2026-12-01T08:00:00.000Z' };
const room = { id: '9b1f8f8e-3c1d-4c55-8d55-1f0f6a2b7c31', name: 'general', description: '', ownerId: user.id, memberCount: 1, createdAt: user.createdAt };
const message = {
  id: '0d6a3c55-6f1e-4b8a-9f5e-2c7d1b3a4e59',
  roomId: room.id,
  seq: 1,
  type: 'message',
  content: 'hi',
  sender: { id: user.id, username: user.username },
  clientId: 'c-1',
  timestamp: user.createdAt,
};

describe('the socket contract schemas', () => {
  it('take a room:join ack whose online entries are whole users, and refuse bare {id, username}', () => {
    expect(ackSchemas['room:join'].safeParse({ ok: true, room, online: [user], missed: [message] }).success).toBe(true);
    const bare = { ok: true, room, online: [{ id: user.id, username: user.username }], missed: [] };
    expect(ackSchemas['room:join'].safeParse(bare).success).toBe(false);
  });

  it('take each message:send success and refuse an unknown command name', () => {
    const send = ackSchemas['message:send'];
    expect(send.safeParse({ ok: true, message }).success).toBe(true);
    expect(send.safeParse({ ok: true, command: 'stock', jobId: 'j1' }).success).toBe(true);
    expect(send.safeParse({ ok: true, command: 'help', text: 'Commands:' }).success).toBe(true);
    expect(send.safeParse({ ok: true, command: 'weather', jobId: 'j1' }).success).toBe(false);
  });

  it('take a failure only with one of the contract error codes', () => {
    expect(ackSchemas.typing.safeParse({ ok: false, error: { code: 'rate_limited', message: 'slow down' } }).success).toBe(true);
    expect(ackSchemas.typing.safeParse({ ok: false, error: { code: 'teapot', message: 'no' } }).success).toBe(false);
    expect(ackSchemas['room:leave'].safeParse({ ok: false }).success).toBe(false);
  });

  it('describe bot and system senders in message events', () => {
    expect(serverEventSchemas.message.safeParse({ ...message, type: 'bot', sender: { id: null, username: 'stock-bot' }, clientId: null }).success).toBe(true);
    expect(serverEventSchemas.message.safeParse({ ...message, type: 'system', sender: null, clientId: null }).success).toBe(true);
    expect(serverEventSchemas.message.safeParse({ ...message, sender: { id: null, username: 'mallory' } }).success).toBe(false);
    expect(serverEventSchemas.presence.safeParse({ roomId: room.id, user: { id: user.id, username: 'alice' }, status: 'away' }).success).toBe(false);
  });
});

describe('socket payloads', () => {
  it('take a room id in capitals as the same, lower-case id', () => {
    const parsed = messageSendPayloadSchema.parse({ roomId: room.id.toUpperCase(), content: ' hi ', clientId: 'c-1' });
    expect(parsed).toEqual({ roomId: room.id, content: 'hi', clientId: 'c-1' });
  });
});
