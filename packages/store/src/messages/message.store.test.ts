import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@chat/testkit/vitest';
import { createOrm, type Orm } from '../orm.js';
import { createMessageDb, type MessageDb } from './message.db.js';
import { appendMessage, appendMessages } from './message.store.js';
import { findMessages } from './message.history.js';

let orm: Orm;
let db: MessageDb;
const alice = { id: randomUUID(), username: 'alice' };

async function createRoom(): Promise<string> {
  const id = randomUUID();
  await orm.em.getKnex().raw('insert into rooms (id, name, owner_id) values (?, ?, ?)', [id, `room-${id}`, alice.id]);
  await orm.em.getKnex().raw(`insert into memberships (room_id, user_id, role) values (?, ?, 'owner')`, [id, alice.id]);
  return id;
}

beforeAll(async () => {
  orm = await createOrm({ databaseUrl: await useTestDatabase(), poolMax: 2 });
  db = createMessageDb(orm, { max: 12 });
  await orm.em.getKnex().raw(`insert into users (id, username, password_hash) values (?, ?, 'x')`, [alice.id, alice.username]);
});
afterAll(async () => {
  await db?.close();
  await orm?.close(true);
});

describe('message store', () => {
  it('gives concurrent writers to one room gapless, unique seqs', async () => {
    const roomId = await createRoom();
    const sends = Array.from({ length: 60 }, (_, i) =>
      appendMessages(db, [
        { roomId, type: 'message', content: `a${i}`, sender: alice, clientId: `a-${i}` },
        { roomId, type: 'message', content: `b${i}`, sender: alice, clientId: `b-${i}` },
      ]),
    );
    const results = (await Promise.all(sends)).flat();
    const seqs = results.map((r) => (r.ok ? r.message.seq : -1)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it("writes each message's JSON in the contract's key order, compact, the same text for a new send and for its retry", async () => {
    const roomId = await createRoom();
    const drafts = [
      { roomId, type: 'message' as const, content: 'say "hi" \\ ünï', sender: alice, clientId: 'wire-1' },
      { roomId, type: 'bot' as const, content: 'AAPL.US quote is $93.42 per share', botName: 'stock-bot' as const, jobId: `job-${randomUUID()}` },
      { roomId, type: 'system' as const, content: 'alice joined the room' },
    ];
    const results = await appendMessages(db, drafts);
    const texts = results.map((r) => (r.ok ? r.json : ''));
    const expected = results.map((r, i) => {
      if (!r.ok) throw r.error;
      const { id, seq, timestamp } = r.message;
      const d = drafts[i]!;
      const sender = d.type === 'message' ? { id: alice.id, username: alice.username } : d.type === 'bot' ? { id: null, username: 'stock-bot' } : null;
      return JSON.stringify({ id, roomId, seq, type: d.type, content: d.content, sender, clientId: d.type === 'message' ? d.clientId : null, timestamp });
    });
    expect(texts).toEqual(expected);
    expect(results.map((r) => r.ok && r.message.timestamp)).toEqual(texts.map(() => expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)));
    const again = await appendMessages(db, drafts.slice(0, 2));
    expect(again.map((r) => r.ok && r.json)).toEqual(texts.slice(0, 2));
  });

  it('returns the stored message for a repeated clientId and stores nothing new', async () => {
    const roomId = await createRoom();
    const first = await appendMessage(db, { roomId, type: 'message', content: 'hello', sender: alice, clientId: 'same' });
    const again = await appendMessage(db, { roomId, type: 'message', content: 'hello again', sender: alice, clientId: 'same' });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.message).toEqual(first.message);
    const [a, b] = await appendMessages(db, [
      { roomId, type: 'message', content: 'x', sender: alice, clientId: 'twin' },
      { roomId, type: 'message', content: 'y', sender: alice, clientId: 'twin' },
    ]);
    expect(a?.ok && b?.ok && a.message.id === b.message.id && a.created && !b.created).toBe(true);
    const history = await findMessages(db, roomId, { limit: 100 });
    expect(history.map((m) => m.seq)).toEqual([1, 2]);
  });

  it("keeps a clientId per room: a batch with one room's retry and another room's new send of it stores the new one", async () => {
    const [roomA, roomB] = [await createRoom(), await createRoom()];
    const first = await appendMessage(db, { roomId: roomA, type: 'message', content: 'in A', sender: alice, clientId: 'shared' });
    const [retryA, newB] = await appendMessages(db, [
      { roomId: roomA, type: 'message', content: 'in A again', sender: alice, clientId: 'shared' },
      { roomId: roomB, type: 'message', content: 'in B', sender: alice, clientId: 'shared' },
    ]);
    expect(retryA?.ok && [retryA.created, retryA.json, retryA.roomId, retryA.seq]).toEqual([false, first.json, roomA, first.seq]);
    expect(retryA?.ok && retryA.message).toEqual(first.message);
    expect(newB?.ok && newB.created && newB.message.roomId === roomB && newB.message.content === 'in B').toBe(true);
    expect((await findMessages(db, roomA, { limit: 10 })).map((m) => m.content)).toEqual(['in A']);
    expect((await findMessages(db, roomB, { limit: 10 })).map((m) => [m.seq, m.content])).toEqual([[1, 'in B']]);
  });

  it('refuses a draft holding NUL on its own and stores the rest of the batch', async () => {
    const roomId = await createRoom();
    const results = await appendMessages(db, [
      { roomId, type: 'message', content: 'before', sender: alice, clientId: 'n1' },
      { roomId, type: 'message', content: 'bad\u0000content', sender: alice, clientId: 'n2' },
      { roomId, type: 'message', content: 'bad clientId', sender: alice, clientId: 'n\u00003' },
      { roomId, type: 'bot', content: 'bad\u0000bot', botName: 'ai', jobId: `job-nul-${roomId}` },
      { roomId, type: 'message', content: 'after', sender: alice, clientId: 'n4' },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : `${r.error.code} ${r.error.message.split(':')[0]}`))).toEqual([
      'ok',
      'validation content',
      'validation clientId',
      'validation content',
      'ok',
    ]);
    expect((await findMessages(db, roomId, { limit: 10 })).map((m) => [m.seq, m.content])).toEqual([
      [1, 'before'],
      [2, 'after'],
    ]);
    const [only] = await appendMessages(db, [{ roomId, type: 'system', content: '\u0000' }]);
    expect(only?.ok).toBe(false);
  });

  it('answers a bot job once however often it is stored', async () => {
    const roomId = await createRoom();
    const draft = { roomId, type: 'bot' as const, content: 'AAPL.US quote is $1.00 per share', botName: 'stock-bot' as const, jobId: `job-${roomId}` };
    const [one, two] = await Promise.all([appendMessage(db, draft), appendMessage(db, draft)]);
    expect(one.message.id).toBe(two.message.id);
    expect([one.created, two.created].sort()).toEqual([false, true]);
    expect(one.message.sender).toEqual({ id: null, username: 'stock-bot' });
  });

  it('refuses, on its own, a chat message whose sender is not a member of the room', async () => {
    const roomId = await createRoom();
    const stranger = { id: randomUUID(), username: 'stranger' };
    await orm.em.getKnex().raw(`insert into users (id, username, password_hash) values (?, ?, 'x')`, [stranger.id, stranger.username]);
    const results = await appendMessages(db, [
      { roomId, type: 'message', content: 'in', sender: alice, clientId: 'member-1' },
      { roomId, type: 'message', content: 'out', sender: stranger, clientId: 'stranger-1' },
      { roomId, type: 'system', content: 'someone joined' },
    ]);
    expect(results.map((r) => (r.ok ? r.message.seq : r.error.code))).toEqual([1, 'forbidden', 2]);
    expect((await findMessages(db, roomId, { limit: 10 })).map((m) => m.content)).toEqual(['in', 'someone joined']);
  });

  it('refuses a room that does not exist', async () => {
    const [r] = await appendMessages(db, [{ roomId: randomUUID(), type: 'system', content: 'x' }]);
    expect(r?.ok).toBe(false);
  });
});
