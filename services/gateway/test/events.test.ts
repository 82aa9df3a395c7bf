import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRoomMessages, onlineUserIds, publishControl, publishMessages, publishRoomLeave, redisKeys } from '@chat/runtime';
import type { Orm } from '@chat/store';
import type { SessionEndedEvent, UserRef } from '@chat/contract';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { call, closeAll, connect, Inbox, ok, rawCall, type ChatSocket } from './support/client.js';
import { createRoom, createUser, tokenFor } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/harness.js';

let redis: RedisServer;
let gw: TestGateway;
let orm: Orm;
let alice: UserRef;
let bob: UserRef;
let carol: UserRef;
let roomId: string;
const sockets: ChatSocket[] = [];

const open = async (user: UserRef): Promise<ChatSocket> => {
  const socket = await connect(gw.url, tokenFor(user));
  sockets.push(socket);
  return socket;
};
const storedCount = async (room: string): Promise<number> => {
  const { rows } = await orm.em.getKnex().raw<{ rows: { n: string }[] }>('select count(*) as n from messages where room_id = ?', [room]);
  return Number(rows[0]?.n);
};

beforeAll(async () => {
  redis = await startRedis();
  gw = await startTestGateway({ redisUrl: redis.url, databaseUrl: await useTestDatabase() });
  orm = gw.orm;
  [alice, bob, carol] = await Promise.all([createUser(orm, 'alice'), createUser(orm, 'bob'), createUser(orm, 'carol')]);
  roomId = await createRoom(orm, alice, [bob]);
});
afterAll(async () => {
  closeAll(sockets);
  await gw?.stop();
  await redis?.stop();
});

describe('room:join', () => {
  it('answers a member with the room, who is online and nothing missed when no since is given', async () => {
    const socket = await open(alice);
    const joined = ok(await call(socket, 'room:join', { roomId }));
    expect(joined.room).toMatchObject({ id: roomId, ownerId: alice.id, memberCount: 2 });
    expect(joined.online).toEqual([{ ...alice, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) }]);
    expect(joined.missed).toEqual([]);
  });

  it('refuses a non-member with forbidden and an unknown room with not_found', async () => {
    const socket = await open(carol);
    expect(await call(socket, 'room:join', { roomId })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call(socket, 'room:join', { roomId: crypto.randomUUID() })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(socket.connected).toBe(true);
  });

  it('replays the oldest 100 messages after since, in ascending seq', async () => {
    const room = await createRoom(orm, alice);
    const drafts = Array.from({ length: 130 }, (_, i) => ({ roomId: room, type: 'message' as const, content: `m${i + 1}`, sender: alice, clientId: `c${i}` }));
    await gw.store.messages.append(drafts);
    const socket = await open(alice);
    const { missed } = ok(await call(socket, 'room:join', { roomId: room, since: 10 }));
    expect(missed.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 11));
    expect(missed[0]).toMatchObject({ content: 'm11', sender: alice, type: 'message', clientId: 'c10' });
    const { missed: tail } = ok(await call(socket, 'room:join', { roomId: room, since: 125 }));
    expect(tail.map((m) => m.seq)).toEqual([126, 127, 128, 129, 130]);
  });

  it('undoes a join whose later step failed: the socket gets no delivery and is not online', async () => {
    const room = await createRoom(orm, alice, [bob]);
    const b = await open(bob);
    const inboxB = new Inbox(b);
    ok(await call(b, 'room:join', { roomId: room }));
    // A presence entry PostgreSQL cannot read (not a uuid) makes the `online` lookup fail after the join.
    await gw.redis.hset(redisKeys.presenceRoom(room), 'not-a-uuid', '1');
    const a = await open(alice);
    const inboxA = new Inbox(a);
    expect(await call(a, 'room:join', { roomId: room })).toMatchObject({ ok: false, error: { code: 'internal' } });
    await inboxB.waitFor('alice offline again', () => inboxB.presence.filter((p) => p.user.id === alice.id).length === 2);
    expect(inboxB.presence.filter((p) => p.user.id === alice.id).map((p) => p.status)).toEqual(['online', 'offline']);
    expect(await onlineUserIds(gw.redis, room)).toEqual(new Set([bob.id, 'not-a-uuid']));
    expect(await call(a, 'message:send', { roomId: room, content: 'hi', clientId: 'after-failed-join' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    ok(await call(b, 'message:send', { roomId: room, content: 'only bob hears this', clientId: 'bob-alone' }));
    await inboxB.waitFor('own message', () => inboxB.messagesIn(room).length === 1);
    expect(inboxA.messagesIn(room)).toEqual([]);
  });

  it('refuses malformed payloads with validation, naming the field', async () => {
    const socket = await open(alice);
    const cases: [unknown, RegExp][] = [
      [{}, /roomId/],
      [{ roomId: 'not-a-uuid' }, /roomId/],
      [{ roomId, since: -1 }, /since/],
      [{ roomId, since: '3' }, /since/],
      [{ roomId, extra: true }, /unknown field: extra/],
      ['a string', /./],
      [null, /./],
    ];
    for (const [payload, message] of cases) {
      const ack = await rawCall(socket, 'room:join', payload);
      expect(ack, JSON.stringify(payload)).toMatchObject({ ok: false, error: { code: 'validation', message: expect.stringMatching(message) } });
    }
  });
});

describe('message:send', () => {
  it('stores trimmed content, acks the stored message and delivers it to the room', async () => {
    const [a, b] = [await open(alice), await open(bob)];
    const inbox = new Inbox(b);
    ok(await call(a, 'room:join', { roomId }));
    ok(await call(b, 'room:join', { roomId }));
    const { message } = ok(await call(a, 'message:send', { roomId, content: '  hello bob  ', clientId: 'hello-1' })) as { message: { seq: number } };
    expect(message).toMatchObject({ roomId, content: 'hello bob', clientId: 'hello-1', type: 'message', sender: alice });
    await inbox.waitFor('the message', () => inbox.messages.some((m) => m.clientId === 'hello-1'));
    expect(inbox.messages.find((m) => m.clientId === 'hello-1')).toEqual(message);
  });

  it('counts every message event written to its sockets, sent here or elsewhere, in chat_messages_delivered_total', async () => {
    const room = await createRoom(orm, alice, [bob]);
    const [a, b, b2] = [await open(alice), await open(bob), await open(bob)];
    const inbox = new Inbox(b2);
    for (const s of [a, b, b2]) ok(await call(s, 'room:join', { roomId: room }));
    const delivered = async (): Promise<number> => Number(/^chat_messages_delivered_total(?:\{[^}]*\})? (\d+)$/m.exec(await (await fetch(`${gw.url}/metrics`)).text())?.[1]);
    const before = await delivered();
    ok(await call(a, 'message:send', { roomId: room, content: 'counted', clientId: 'counted-1' }));
    await inbox.waitFor('the message', () => inbox.messagesIn(room).length === 1);
    expect(await delivered()).toBe(before + 3);
    // A message another process stores and publishes (a bot reply, the API's system message) reaches the same sockets.
    const [stored] = await gw.store.messages.append([{ roomId: room, type: 'system', content: 'from elsewhere' }]);
    if (!stored?.ok) throw new Error('not stored');
    await publishMessages(gw.redis, 'api', [stored]);
    await inbox.waitFor('the remote message', () => inbox.messagesIn(room).length === 2);
    expect(await delivered()).toBe(before + 6);
  });

  it('delivers a message stored but never published, in its place, once the next one shows it missing', async () => {
    const room = await createRoom(orm, alice, [bob]);
    const [a, b] = [await open(alice), await open(bob)];
    const inbox = new Inbox(b);
    for (const s of [a, b]) ok(await call(s, 'room:join', { roomId: room }));
    // Its publisher died between the commit and the publish.
    const [lost] = await gw.store.messages.append([{ roomId: room, type: 'system', content: 'never published' }]);
    if (!lost?.ok) throw new Error('not stored');
    const sent = ok(await call(a, 'message:send', { roomId: room, content: 'after it', clientId: 'after-lost' }));
    expect('message' in sent && sent.message.seq).toBe(lost.message.seq + 1);
    await inbox.waitFor('both messages', () => inbox.messagesIn(room).length === 2);
    expect(inbox.messagesIn(room).map((m) => [m.seq, m.content])).toEqual([
      [lost.message.seq, 'never published'],
      [lost.message.seq + 1, 'after it'],
    ]);
    // The late copy of a delivered seq (say, a publish that was only slow) is not delivered again.
    await publishMessages(gw.redis, 'api', [lost]);
    ok(await call(a, 'message:send', { roomId: room, content: 'third', clientId: 'after-lost-2' }));
    await inbox.waitFor('the third', () => inbox.messagesIn(room).length === 3);
    expect(inbox.messagesIn(room).map((m) => m.seq)).toEqual([1, 2, 3].map((i) => lost.message.seq - 1 + i));
  });

  it('reads from PostgreSQL what was published while its channel connection was away, once it is back', async () => {
    const room = await createRoom(orm, alice, [bob]);
    const b = await open(bob);
    const inbox = new Inbox(b);
    ok(await call(b, 'room:join', { roomId: room }));
    const [lost] = await gw.store.messages.append([{ roomId: room, type: 'system', content: 'published into the void' }]);
    if (!lost?.ok) throw new Error('not stored');
    // Back to back in Redis: the subscriber connections are cut, then the message is published to nobody.
    const { channel, payload } = encodeRoomMessages('api', room, [lost.json]);
    await gw.redis.pipeline().call('CLIENT', 'KILL', 'TYPE', 'pubsub').spublish(channel, payload).exec();
    await inbox.waitFor('the lost message', () => inbox.messagesIn(room).length === 1);
    expect(inbox.messagesIn(room)).toEqual([lost.message]);
  });

  it('refuses a socket that has not joined the room, for sends and typing', async () => {
    const socket = await open(bob);
    const before = await storedCount(roomId);
    expect(await call(socket, 'message:send', { roomId, content: 'hi', clientId: 'x1' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call(socket, 'typing', { roomId, isTyping: true })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await storedCount(roomId)).toBe(before);
  });

  it('refuses empty, oversized or non-string content and a missing or long clientId', async () => {
    const socket = await open(alice);
    ok(await call(socket, 'room:join', { roomId }));
    const before = await storedCount(roomId);
    const cases: [unknown, RegExp][] = [
      [{ roomId, content: '', clientId: 'v1' }, /content: must not be empty/],
      [{ roomId, content: '   \n\t ', clientId: 'v2' }, /content: must not be empty/],
      [{ roomId, content: 'x'.repeat(1001), clientId: 'v3' }, /content: must be at most 1000/],
      [{ roomId, content: 42, clientId: 'v4' }, /content: must be a string/],
      [{ roomId, content: ['hi'], clientId: 'v5' }, /content/],
      [{ roomId, content: 'hi' }, /clientId/],
      [{ roomId, content: 'hi', clientId: '' }, /clientId: must not be empty/],
      [{ roomId, content: 'hi', clientId: 'c'.repeat(65) }, /clientId: must be at most 64/],
      [{ roomId, content: 'hi', clientId: 7 }, /clientId: must be a string/],
      [{ roomId, content: 'hi', clientId: 'v6', sender: 'admin' }, /unknown field: sender/],
      [{ content: 'hi', clientId: 'v7' }, /roomId/],
    ];
    for (const [payload, message] of cases) {
      const ack = await rawCall(socket, 'message:send', payload);
      expect(ack, JSON.stringify(payload).slice(0, 80)).toMatchObject({ ok: false, error: { code: 'validation', message: expect.stringMatching(message) } });
    }
    expect(await storedCount(roomId)).toBe(before);
    const longest = ok(await call(socket, 'message:send', { roomId, content: ` ${'y'.repeat(1000)} `, clientId: 'c'.repeat(64) }));
    expect('message' in longest && longest.message.content.length).toBe(1000);
  });
});

describe('typing and room:leave', () => {
  it('relays typing to the others, not back to the typist, and refuses unknown fields', async () => {
    const [a, b] = [await open(alice), await open(bob)];
    const [inboxA, inboxB] = [new Inbox(a), new Inbox(b)];
    ok(await call(a, 'room:join', { roomId }));
    ok(await call(b, 'room:join', { roomId }));
    ok(await call(a, 'typing', { roomId, isTyping: true }));
    await inboxB.waitFor('typing', () => inboxB.typing.some((t) => t.isTyping && t.user.id === alice.id));
    ok(await call(a, 'typing', { roomId, isTyping: false }));
    await inboxB.waitFor('typing stopped', () => inboxB.typing.some((t) => !t.isTyping && t.user.id === alice.id));
    expect(inboxA.typing.filter((t) => t.user.id === alice.id)).toEqual([]);
    expect(await rawCall(a, 'typing', { roomId, isTyping: 'yes' })).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(await rawCall(a, 'typing', { roomId, isTyping: true, to: 'bob' })).toMatchObject({ ok: false, error: { code: 'validation' } });
  });

  it('room:leave stops delivery and ends presence; leaving twice is fine', async () => {
    const room = await createRoom(orm, alice, [bob]);
    const [a, b] = [await open(alice), await open(bob)];
    const [inboxA, inboxB] = [new Inbox(a), new Inbox(b)];
    ok(await call(a, 'room:join', { roomId: room }));
    ok(await call(b, 'room:join', { roomId: room }));
    ok(await call(a, 'room:leave', { roomId: room }));
    ok(await call(a, 'room:leave', { roomId: room }));
    await inboxB.waitFor('alice offline', () => inboxB.presence.some((p) => p.user.id === alice.id && p.status === 'offline'));
    ok(await call(b, 'message:send', { roomId: room, content: 'anyone?', clientId: 'after-leave' }));
    await inboxB.waitFor('own message', () => inboxB.messagesIn(room).length === 1);
    expect(inboxA.messagesIn(room)).toEqual([]);
    expect(await call(a, 'message:send', { roomId: room, content: 'hi', clientId: 'x' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it("treats a REST leave (the API's \"left\" message, then its leave, on the room's channel) like room:leave for every socket of the user", async () => {
    const room = await createRoom(orm, alice, [bob]);
    const [a, a2, b] = [await open(alice), await open(alice), await open(bob)];
    const [inboxA, inboxA2, inboxB] = [new Inbox(a), new Inbox(a2), new Inbox(b)];
    for (const s of [a, a2, b]) ok(await call(s, 'room:join', { roomId: room }));
    ok(await call(a, 'typing', { roomId: room, isTyping: true }));
    await inboxB.waitFor('typing', () => inboxB.typing.some((t) => t.isTyping));
    // What the API does: store the "left" message, publish it, then publish the leave.
    const [left] = await gw.store.messages.append([{ roomId: room, type: 'system', content: 'alice left the room' }]);
    if (!left?.ok) throw new Error('not stored');
    await publishMessages(gw.redis, 'api', [left]);
    await publishRoomLeave(gw.redis, 'api', { roomId: room, userId: alice.id });
    await inboxB.waitFor('alice offline', () => inboxB.presence.some((p) => p.user.id === alice.id && p.status === 'offline'));
    // Her own "left" message reached both her sockets before they were taken out.
    for (const inbox of [inboxA, inboxA2]) expect(inbox.messagesIn(room).map((m) => m.content)).toEqual(['alice left the room']);
    expect(inboxB.typing.at(-1)).toMatchObject({ user: alice, isTyping: false });
    expect(await onlineUserIds(gw.redis, room)).toEqual(new Set([bob.id]));
    expect(await call(a, 'message:send', { roomId: room, content: 'hi', clientId: 'gone' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    ok(await call(b, 'message:send', { roomId: room, content: 'only bob hears this', clientId: 'bob-after' }));
    await inboxB.waitFor('own message', () => inboxB.messagesIn(room).length === 2);
    for (const inbox of [inboxA, inboxA2]) expect(inbox.messagesIn(room).map((m) => m.content)).toEqual(['alice left the room']);
  });
});

describe('events the server cannot acknowledge', () => {
  it('answers a known event sent without an ack callback with an error event naming it, and does not process it', async () => {
    const room = await createRoom(orm, alice, [bob]);
    const a = await open(alice);
    ok(await call(a, 'room:join', { roomId: room }));
    const errors: unknown[] = [];
    a.on('error', (e) => errors.push(e));
    (a as unknown as { emit(event: string, payload: unknown): void }).emit('message:send', { roomId: room, content: 'no ack', clientId: 'no-ack-1' });
    await waitFor('the error event', () => errors.length === 1);
    expect(errors).toEqual([{ event: 'message:send', error: { code: 'validation', message: expect.stringMatching(/needs an acknowledgement callback/) } }]);
    expect(await storedCount(room)).toBe(0);
  });

  it('answers an unknown event with an error, in the ack when there is one, else as an error event', async () => {
    const a = await open(alice);
    const errors: unknown[] = [];
    a.on('error', (e) => errors.push(e));
    expect(await rawCall(a, 'room:explode', {})).toEqual({ ok: false, error: { code: 'validation', message: 'unknown event "room:explode"' } });
    (a as unknown as { emit(event: string): void }).emit('room:explode');
    await waitFor('the error event', () => errors.length === 1);
    expect(errors).toEqual([{ event: 'room:explode', error: { code: 'validation', message: 'unknown event "room:explode"' } }]);
  });
});

describe('sessions ended by the API', () => {
  it("ends a logged-out token's sockets, each told why first, and leaves the user's other sessions alone", async () => {
    const tokenA = tokenFor(carol);
    const tokenB = tokenFor(carol);
    const [loggedOut, sameToken, otherSession] = [await connect(gw.url, tokenA), await connect(gw.url, tokenA), await connect(gw.url, tokenB)];
    sockets.push(loggedOut, sameToken, otherSession);
    const heard: Record<string, (SessionEndedEvent | string)[]> = { loggedOut: [], sameToken: [], otherSession: [] };
    for (const [name, socket] of Object.entries({ loggedOut, sameToken, otherSession })) {
      socket.on('session:ended', (event) => heard[name]!.push(event));
      socket.on('disconnect', (reason) => heard[name]!.push(reason));
    }
    const { jti } = JSON.parse(Buffer.from(tokenA.split('.')[1]!, 'base64url').toString()) as { jti: string };
    await publishControl(gw.redis, { kind: 'end-sessions', userId: carol.id, tokenId: jti, reason: 'logged_out' });
    await waitFor('both sockets of the token to end', () => heard.loggedOut!.length === 2 && heard.sameToken!.length === 2);
    for (const name of ['loggedOut', 'sameToken']) expect(heard[name]).toEqual([{ reason: 'logged_out' }, 'io server disconnect']);
    expect(otherSession.connected).toBe(true);
    expect(heard.otherSession).toEqual([]);

    // Without a token id: every session of the user (an account deleted).
    await publishControl(gw.redis, { kind: 'end-sessions', userId: carol.id, reason: 'deleted' });
    await waitFor('the other session to end', () => heard.otherSession!.length === 2);
    expect(heard.otherSession).toEqual([{ reason: 'deleted' }, 'io server disconnect']);
  });
});
