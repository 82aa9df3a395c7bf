import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, ReactionEvent, RoomReadEvent, UserRef } from '@chat/contract';
import type { Orm } from '@chat/store';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { call, closeAll, connect, ok, rawCall, type ChatSocket } from './support/client.js';
import { createRoom, createUser, tokenFor } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/harness.js';

let redis: RedisServer;
let databaseUrl: string;
let gw: TestGateway;
let orm: Orm;
const opened: ChatSocket[] = [];

beforeAll(async () => {
  redis = await startRedis();
  databaseUrl = await useTestDatabase();
  gw = await startTestGateway({ redisUrl: redis.url, databaseUrl });
  orm = gw.orm;
});
afterAll(async () => {
  closeAll(opened);
  await gw?.stop();
  await redis?.stop();
});

async function open(user: UserRef, target = gw): Promise<ChatSocket> {
  const socket = await connect(target.url, tokenFor(user));
  opened.push(socket);
  return socket;
}

async function seed(roomId: string, sender: UserRef, count: number): Promise<string[]> {
  const drafts = Array.from({ length: count }, (_, i) => ({ roomId, type: 'message' as const, content: `m${i + 1}`, sender, clientId: randomUUID() }));
  const results = await gw.store.messages.append(drafts);
  return results.map((r) => {
    if (!r.ok) throw r.error;
    return r.message.id;
  });
}

const storedCursor = async (roomId: string, userId: string): Promise<number> => {
  const rows = (await orm.em.getKnex().raw('select read_seq from memberships where room_id = ? and user_id = ?', [roomId, userId])) as { rows: { read_seq: string }[] };
  return Number(rows.rows[0]?.read_seq);
};

const cursorWrites = async (target = gw): Promise<number> => {
  const text = await (await fetch(`${target.url}/metrics`)).text();
  return Number(/^chat_read_cursor_writes_total(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1] ?? 0);
};

describe('room:read', () => {
  it("moves the cursor forward only, tells the user's other sockets (not the one that read, not other users), and stores it coalesced", async () => {
    const [ann, ben] = [await createUser(orm, 'ann'), await createUser(orm, 'ben')];
    const roomId = await createRoom(orm, ann, [ben]);
    await seed(roomId, ben, 10);
    const [laptop, phone, other] = [await open(ann), await open(ann), await open(ben)];
    const phoneSaw: RoomReadEvent[] = [];
    const laptopSaw: RoomReadEvent[] = [];
    const benSaw: RoomReadEvent[] = [];
    phone.on('room:read', (e) => phoneSaw.push(e));
    laptop.on('room:read', (e) => laptopSaw.push(e));
    other.on('room:read', (e) => benSaw.push(e));

    const writesBefore = await cursorWrites();
    // A client marking every message it sees: ten reads, one write.
    for (let seq = 1; seq <= 8; seq++) expect(ok(await call(laptop, 'room:read', { roomId, seq }))).toEqual({ ok: true, readSeq: seq });
    expect(ok(await call(laptop, 'room:read', { roomId, seq: 3 }))).toEqual({ ok: true, readSeq: 8 }); // never back
    await waitFor('the phone to hear of seq 8', () => phoneSaw.at(-1)?.readSeq === 8);
    // Told the latest, coalesced (at most one event a quarter second per user and room), never going back.
    const seqs = phoneSaw.map((e) => e.readSeq);
    expect(seqs.length).toBeLessThan(8);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await new Promise((r) => setTimeout(r, 400));
    expect(phoneSaw.at(-1)?.readSeq).toBe(8);
    expect(phoneSaw.every((e) => e.roomId === roomId)).toBe(true);
    expect(laptopSaw).toEqual([]);
    expect(benSaw).toEqual([]);

    await waitFor('the cursor to be written', async () => (await storedCursor(roomId, ann.id)) === 8, 5_000);
    expect((await cursorWrites()) - writesBefore).toBe(1);
    // The phone reading an earlier seq is told where the cursor is.
    expect(ok(await call(phone, 'room:read', { roomId, seq: 5 }))).toEqual({ ok: true, readSeq: 8 });
  });

  it("moves the sender's cursor to what they send; their socket in the room gets the message, and no room:read", async () => {
    const [joy, kim] = [await createUser(orm, 'joy'), await createUser(orm, 'kim')];
    const roomId = await createRoom(orm, joy, [kim]);
    await seed(roomId, kim, 3);
    const [laptop, phone] = [await open(joy), await open(joy)];
    ok(await call(laptop, 'room:join', { roomId }));
    ok(await call(phone, 'room:join', { roomId }));
    const phoneSaw: RoomReadEvent[] = [];
    const phoneGot: Message[] = [];
    phone.on('room:read', (e) => phoneSaw.push(e));
    phone.on('message', (m) => phoneGot.push(m));
    const sent = ok(await call(laptop, 'message:send', { roomId, content: 'read all that', clientId: randomUUID() }));
    if (!('message' in sent)) throw new Error('expected a message');
    expect(sent.message.seq).toBe(4);
    await waitFor('the cursor to be written', async () => (await storedCursor(roomId, joy.id)) === 4, 5_000);
    expect(phoneGot.map((m) => [m.seq, m.sender?.id])).toEqual([[4, joy.id]]);
    expect(phoneSaw).toEqual([]);
    // The phone asks where the cursor is: the send moved it.
    expect(ok(await call(phone, 'room:read', { roomId, seq: 2 }))).toEqual({ ok: true, readSeq: 4 });
  });

  it('answers bad input with the contract errors: beyond the last seq, a room of others, no such room, a malformed payload', async () => {
    const [cat, dan] = [await createUser(orm, 'cat'), await createUser(orm, 'dan')];
    const roomId = await createRoom(orm, cat);
    await seed(roomId, cat, 3);
    const socket = await open(dan);
    const mine = await open(cat);
    const beyond = await call(mine, 'room:read', { roomId, seq: 4 });
    expect(beyond).toMatchObject({ ok: false, error: { code: 'validation', message: "seq: the room's last message is 3" } });
    expect(await call(socket, 'room:read', { roomId, seq: 1 })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call(socket, 'room:read', { roomId: randomUUID(), seq: 1 })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    for (const payload of [{ roomId, seq: -1 }, { roomId, seq: 1.5 }, { roomId, seq: '2' }, { roomId }, { roomId: 'nope', seq: 1 }, { roomId, seq: 1, extra: true }]) {
      expect(await rawCall(mine, 'room:read', payload), JSON.stringify(payload)).toMatchObject({ ok: false, error: { code: 'validation' } });
    }
  });

  it('writes the cursors still pending when the gateway stops (SIGTERM)', async () => {
    const eve = await createUser(orm, 'eve');
    const roomId = await createRoom(orm, eve);
    await seed(roomId, eve, 5);
    const second = await startTestGateway({ redisUrl: redis.url, databaseUrl });
    const socket = await open(eve, second);
    expect(ok(await call(socket, 'room:read', { roomId, seq: 4 })).readSeq).toBe(4);
    await second.stop(); // well within the 1 s the write waits for company
    expect(await storedCursor(roomId, eve.id)).toBe(4);
  });
});

describe('reaction:set', () => {
  it('adds and removes idempotently, broadcasts each change once to the room, and shows counts in history and missed', async () => {
    const [fay, gus] = [await createUser(orm, 'fay'), await createUser(orm, 'gus')];
    const roomId = await createRoom(orm, fay, [gus]);
    const [first, second] = await seed(roomId, fay, 2);
    const [fays, guss] = [await open(fay), await open(gus)];
    ok(await call(fays, 'room:join', { roomId }));
    ok(await call(guss, 'room:join', { roomId }));
    const heard: ReactionEvent[] = [];
    fays.on('reaction', (e) => heard.push(e));

    expect(ok(await call(guss, 'reaction:set', { roomId, messageId: first!, emoji: '👍', on: true }))).toEqual({ ok: true, emoji: '👍', count: 1 });
    expect(ok(await call(guss, 'reaction:set', { roomId, messageId: first!, emoji: '👍', on: true }))).toEqual({ ok: true, emoji: '👍', count: 1 }); // a retry
    expect(ok(await call(fays, 'reaction:set', { roomId, messageId: first!, emoji: '👍', on: true })).count).toBe(2);
    expect(ok(await call(fays, 'reaction:set', { roomId, messageId: first!, emoji: '🇫🇷', on: true })).count).toBe(1);
    expect(ok(await call(fays, 'reaction:set', { roomId, messageId: first!, emoji: '🇫🇷', on: false })).count).toBe(0);
    expect(ok(await call(fays, 'reaction:set', { roomId, messageId: first!, emoji: '👨‍👩‍👧', on: true })).count).toBe(1);
    // The retry changed nothing, so it was not broadcast.
    await waitFor('five changes', () => heard.length === 5);
    expect(heard.map((e) => [e.user.username, e.emoji, e.on, e.count, e.seq, e.messageId])).toEqual([
      [gus.username, '👍', true, 1, 1, first],
      [fay.username, '👍', true, 2, 1, first],
      [fay.username, '🇫🇷', true, 1, 1, first],
      [fay.username, '🇫🇷', false, 0, 1, first],
      [fay.username, '👨‍👩‍👧', true, 1, 1, first],
    ]);

    const page = await gw.store.reactions.attach(await gw.store.messages.page(roomId, { limit: 10 }), gus.id);
    expect(page.map((m) => m.reactions)).toEqual([
      [
        { emoji: '👍', count: 2, reacted: true },
        { emoji: '👨‍👩‍👧', count: 1, reacted: false },
      ],
      [],
    ]);
    // A rejoin's missed carries them too, as the joining user sees them.
    const rejoin = ok(await call(fays, 'room:join', { roomId, since: 0 }));
    expect(rejoin.missed.map((m) => [m.id, m.reactions?.map((r) => `${r.emoji}${r.count}${r.reacted ? '*' : ''}`)])).toEqual([
      [first, ['👍2*', '👨‍👩‍👧1*']],
      [second, []],
    ]);
  });

  it('answers bad input with the contract errors: not an emoji, a message of another room, no such message, a non-member, the 21st emoji', async () => {
    const [hal, ivy] = [await createUser(orm, 'hal'), await createUser(orm, 'ivy')];
    const roomId = await createRoom(orm, hal);
    const otherRoom = await createRoom(orm, hal);
    const [messageId] = await seed(roomId, hal, 1);
    const [elsewhere] = await seed(otherRoom, hal, 1);
    const socket = await open(hal);
    for (const emoji of ['a', 'ab', '👍👍', '', '1', '#', ' 👍', '👍 ', 'x'.repeat(40)]) {
      expect(await rawCall(socket, 'reaction:set', { roomId, messageId, emoji, on: true }), JSON.stringify(emoji)).toMatchObject({ ok: false, error: { code: 'validation' } });
    }
    for (const emoji of ['1️⃣', '❤️', '👍🏽', '🏴󠁧󠁢󠁥󠁮󠁧󠁿']) expect(ok(await call(socket, 'reaction:set', { roomId, messageId: messageId!, emoji, on: true })).count, emoji).toBe(1);
    expect(await call(socket, 'reaction:set', { roomId, messageId: elsewhere!, emoji: '👍', on: true })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await call(socket, 'reaction:set', { roomId, messageId: randomUUID(), emoji: '👍', on: true })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await call(await open(ivy), 'reaction:set', { roomId, messageId: messageId!, emoji: '👍', on: true })).toMatchObject({ ok: false, error: { code: 'forbidden' } });

    const more = ['😀', '😃', '😄', '😁', '😆', '😅', '🤣', '😂', '🙂', '🙃', '😉', '😊', '😇', '🥰', '😍', '🤩'];
    for (const emoji of more) ok(await call(socket, 'reaction:set', { roomId, messageId: messageId!, emoji, on: true }));
    expect(await call(socket, 'reaction:set', { roomId, messageId: messageId!, emoji: '🐙', on: true })).toMatchObject({
      ok: false,
      error: { code: 'validation', message: 'a message takes at most 20 different emoji' },
    });
    // One of the twenty again is fine.
    expect(ok(await call(socket, 'reaction:set', { roomId, messageId: messageId!, emoji: '😀', on: false })).count).toBe(0);
    expect(ok(await call(socket, 'reaction:set', { roomId, messageId: messageId!, emoji: '🐙', on: true })).count).toBe(1);
  });
});
