import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger, toAppError } from '@chat/runtime';
import { appendMessages, createMessageDb, createOrm, type AppendResult, type MessageDb, type MessageDraft, type Orm } from '@chat/store';
import { AppError, type UserRef } from '@chat/contract';
import { useTestDatabase } from '@chat/testkit/vitest';
import { startTcpProxy } from '../../test/support/tcp-proxy.js';
import { CommitQueue, type CommitQueueOptions } from './commit-queue.js';

let orm: Orm;
let messageDb: MessageDb;
const cleanups: (() => Promise<void>)[] = [];
let databaseUrl: string;
const alice: UserRef = { id: randomUUID(), username: 'alice' };
const logger = createLogger({ service: 'test', level: 'silent' });

async function createRoom(): Promise<string> {
  const id = randomUUID();
  await orm.em.getKnex().raw('insert into rooms (id, name, owner_id) values (?, ?, ?)', [id, `room-${id}`, alice.id]);
  await orm.em.getKnex().raw(`insert into memberships (room_id, user_id, role) values (?, ?, 'owner')`, [id, alice.id]);
  return id;
}

interface Probe {
  queue: CommitQueue;
  batches: MessageDraft[][];
  events: string[];
  overlaps: string[];
}

function probe(options: Partial<CommitQueueOptions> = {}, db: MessageDb = messageDb): Probe {
  const batches: MessageDraft[][] = [];
  const events: string[] = [];
  const overlaps: string[] = [];
  const writing = new Set<string>();
  const queue = new CommitQueue({
    logger,
    maxDelayMs: 5,
    maxBatchSize: 100,
    maxConcurrentBatches: 4,
    store: async (drafts) => {
      batches.push(drafts);
      const rooms = [...new Set(drafts.map((d) => d.roomId))];
      for (const room of rooms) {
        if (writing.has(room)) overlaps.push(room);
        writing.add(room);
      }
      try {
        return await appendMessages(db, drafts);
      } finally {
        for (const room of rooms) writing.delete(room);
      }
    },
    onCommitted: (drafts, results) => {
      results.forEach((result, i) => events.push(result.ok ? `committed ${drafts[i]!.roomId} ${result.message.seq}` : `failed ${drafts[i]!.roomId}`));
    },
    ...options,
  });
  return { queue, batches, events, overlaps };
}

type ChatDraft = Extract<MessageDraft, { type: 'message' }>;
const chat = (roomId: string, i: number): ChatDraft => ({ roomId, type: 'message', content: `m${i}`, sender: alice, clientId: `c${i}-${randomUUID()}` });

beforeAll(async () => {
  databaseUrl = await useTestDatabase();
  orm = await createOrm({ databaseUrl, poolMax: 2 });
  messageDb = createMessageDb(orm);
  await orm.em.getKnex().raw(`insert into users (id, username, password_hash) values (?, ?, 'x')`, [alice.id, alice.username]);
});
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  await messageDb?.close();
  await orm?.close(true);
});

describe('group commit', () => {
  it('stores concurrent sends in few transactions and answers each only after its commit', async () => {
    const { queue, batches, events } = probe();
    const rooms = [await createRoom(), await createRoom(), await createRoom()];
    const sends = Array.from({ length: 90 }, (_, i) =>
      queue.submit(chat(rooms[i % 3]!, i)).then((r: AppendResult) => {
        events.push(`answered ${r.ok ? `${r.message.roomId} ${r.message.seq}` : 'error'}`);
        return r;
      }),
    );
    const results = await Promise.all(sends);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(batches.length).toBeLessThan(10);
    for (const room of rooms) {
      const seqs = results.flatMap((r) => (r.ok && r.message.roomId === room ? [r.message.seq] : []));
      expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      // Within a room, the broadcast step runs in seq order, and before the send is answered.
      const committed = events.filter((e) => e.startsWith(`committed ${room}`)).map((e) => Number(e.split(' ')[2]));
      expect(committed).toEqual(seqs);
      for (const seq of seqs) {
        expect(events.indexOf(`committed ${room} ${seq}`)).toBeLessThan(events.indexOf(`answered ${room} ${seq}`));
      }
    }
  });

  it('admits a lone send after a quiet spell at the end of the turn, without waiting for company', async () => {
    const admitted: number[] = [];
    const { queue, batches } = probe({ maxDelayMs: 60_000, admit: async (drafts) => (admitted.push(drafts.length), drafts.map(() => undefined)) });
    const room = await createRoom();
    const sent = queue.submit(chat(room, 1));
    // Two more in the same turn go with it; nothing waits the minute.
    const more = [2, 3].map((i) => queue.submit(chat(room, i)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(admitted).toEqual([3]);
    expect((await Promise.all([sent, ...more])).every((r) => r.ok)).toBe(true);
    expect(batches.map((b) => b.length)).toEqual([3]);
  });

  it('waits for company while sends keep coming within the window', async () => {
    const { queue, batches } = probe({ maxDelayMs: 40 });
    const room = await createRoom();
    const sent: Promise<AppendResult>[] = [];
    for (let i = 0; i < 24; i++) {
      sent.push(queue.submit(chat(room, i)));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect((await Promise.all(sent)).every((r) => r.ok)).toBe(true);
    // The first few go alone (the queue learns the pace), then each batch holds several sends.
    expect(batches.length).toBeLessThan(16);
    expect(Math.max(...batches.map((b) => b.length))).toBeGreaterThan(3);
  });

  it('never writes two batches of one room at once, and keeps each room in submission order', async () => {
    const { queue, batches, overlaps } = probe({ maxDelayMs: 0, maxBatchSize: 3 });
    const rooms = [await createRoom(), await createRoom()];
    const drafts = Array.from({ length: 40 }, (_, i) => chat(rooms[i % 2]!, i));
    const results = await Promise.all(drafts.map((d) => queue.submit(d)));
    expect(overlaps).toEqual([]);
    expect(batches.length).toBeGreaterThan(1);
    for (const room of rooms) {
      const inOrder = drafts.flatMap((d, i) => (d.roomId === room ? [results[i]] : [])).map((r) => (r?.ok ? r.message.seq : 0));
      expect(inOrder).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }
  });

  it("admits a room's sends while its previous batch is being written, then stores them together", async () => {
    const room = await createRoom();
    const events: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { queue, batches } = probe({
      maxDelayMs: 0,
      admit: async (drafts) => {
        events.push(`admit ${drafts.map((d) => d.content).join()}`);
        return drafts.map(() => undefined);
      },
      store: async (drafts) => {
        batches.push(drafts);
        events.push(`store ${drafts.map((d) => d.content).join()}`);
        if (batches.length === 1) await gate;
        return appendMessages(messageDb, drafts);
      },
    });
    const first = queue.submit(chat(room, 1));
    await vi.waitFor(() => expect(events).toEqual(['admit m1', 'store m1']));
    const later = [2, 3].map((i) => queue.submit(chat(room, i)));
    await vi.waitFor(() => expect(events).toEqual(['admit m1', 'store m1', 'admit m2', 'admit m3']));
    expect(queue.size).toBe(3);
    open();
    const results = await Promise.all([first, ...later]);
    expect(results.map((r) => r.ok && r.message.seq)).toEqual([1, 2, 3]);
    expect(batches.map((b) => b.map((d) => d.content))).toEqual([['m1'], ['m2', 'm3']]);
  });

  it('keeps the order of sends whose admissions are answered out of order', async () => {
    const room = await createRoom();
    const { queue } = probe({
      maxDelayMs: 0,
      // The first admission answers last.
      admit: (drafts) => new Promise((resolve) => setTimeout(() => resolve(drafts.map(() => undefined)), drafts[0]!.content === 'm1' ? 60 : 1)),
    });
    const results = await Promise.all([1, 2, 3].map((i) => queue.submit(chat(room, i))));
    expect(results.map((r) => r.ok && `${r.message.content} ${r.message.seq}`)).toEqual(['m1 1', 'm2 2', 'm3 3']);
  });

  it('stores the rest of a batch the database refused for one draft, failing only the bad ones', async () => {
    const { queue, batches, events } = probe();
    const [room, other] = [await createRoom(), await createRoom()];
    const ghost = { id: randomUUID(), username: 'ghost' };
    // Drafts the socket schemas would refuse, handed straight to the queue: PostgreSQL refuses them.
    const drafts: MessageDraft[] = [
      chat(room, 1),
      { ...chat(room, 2), content: 'nul \u0000 inside' },
      chat(other, 3),
      { ...chat(room, 4), clientId: 'c'.repeat(65) },
      // Not a member (no such user): the store refuses it before PostgreSQL would.
      { roomId: room, type: 'message', content: 'from a user who does not exist', sender: ghost, clientId: 'ghost-1' },
      chat(room, 5),
    ];
    const results = await Promise.all(drafts.map((d) => queue.submit(d)));
    expect(batches[0]).toHaveLength(drafts.length);
    expect(results.map((r) => (r.ok ? `ok ${r.message.seq}` : r.error.code))).toEqual(['ok 1', 'validation', 'ok 1', 'validation', 'forbidden', 'ok 2']);
    expect(results.filter((r) => r.ok).map((r) => r.ok && r.message.content)).toEqual(['m1', 'm3', 'm5']);
    // Every send still passes the after-commit step, each room in seq order.
    expect(events.filter((e) => e.startsWith(`committed ${room}`))).toEqual([`committed ${room} 1`, `committed ${room} 2`]);
    expect(events.filter((e) => e.startsWith('failed'))).toHaveLength(3);
    const after = await queue.submit(chat(room, 6));
    expect(after.ok && after.message.seq).toBe(3);
  });

  it('answers the sends its admission refuses with the refusal, stores the rest, and stores nothing twice', async () => {
    const room = await createRoom();
    const admitted: number[] = [];
    const { queue, batches } = probe({
      admit: async (drafts) => {
        admitted.push(drafts.length);
        return drafts.map((d) => (d.content === 'm2' ? AppError.rateLimited(7_000) : undefined));
      },
    });
    const results = await Promise.all([1, 2, 3].map((i) => queue.submit(chat(room, i))));
    expect(results.map((r) => (r.ok ? `ok ${r.message.seq}` : r.error.code))).toEqual(['ok 1', 'rate_limited', 'ok 2']);
    expect(batches.map((b) => b.map((d) => d.content))).toEqual([['m1', 'm3']]);
    expect(admitted).toEqual([3]);
  });

  it('fails a whole batch, storing none of it, when its admission fails', async () => {
    const room = await createRoom();
    const { queue, batches } = probe({ admit: () => Promise.reject(new Error('Command timed out')) });
    const settled = await Promise.allSettled([1, 2].map((i) => queue.submit(chat(room, i))));
    expect(settled.map((s) => s.status === 'rejected' && toAppError(s.reason).code)).toEqual(['unavailable', 'unavailable']);
    expect(batches).toEqual([]);
  });

  it('answers a lone send the database refuses without a second try', async () => {
    const { queue, batches } = probe();
    const room = await createRoom();
    const result = await queue.submit({ ...chat(room, 1), content: 'nul \u0000' });
    expect(result).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(batches).toHaveLength(1);
  });

  it('fails every send of a batch when PostgreSQL is unreachable, and tries no send alone', async () => {
    const direct = new URL(databaseUrl);
    const proxy = await startTcpProxy(Number(direct.port));
    direct.port = String(proxy.port);
    const cut = await createOrm({ databaseUrl: direct.toString(), poolMax: 2 });
    try {
      const cutDb = createMessageDb(cut);
      cleanups.push(() => cutDb.close());
      const { queue, batches } = probe({}, cutDb);
      const room = await createRoom();
      expect(await queue.submit(chat(room, 0))).toMatchObject({ ok: true });
      await proxy.cut();
      const settled = await Promise.allSettled([1, 2, 3].map((i) => queue.submit(chat(room, i))));
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
      for (const s of settled) expect(s.status === 'rejected' && toAppError(s.reason).code).toBe('unavailable');
      expect(batches.map((b) => b.length)).toEqual([1, 3]);
    } finally {
      await cut.close(true);
      await proxy.close();
    }
  });

  it('commits what it accepted when closed and refuses later sends with unavailable', async () => {
    const { queue } = probe({ maxDelayMs: 200 });
    const room = await createRoom();
    const accepted = Array.from({ length: 5 }, (_, i) => queue.submit(chat(room, i)));
    await queue.close();
    const results = await Promise.all(accepted);
    expect(results.map((r) => r.ok && r.message.seq)).toEqual([1, 2, 3, 4, 5]);
    await expect(queue.submit(chat(room, 9))).rejects.toMatchObject({ code: 'unavailable' });
    await queue.close();
  });
});
