import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMessages, createLogger, createOrm, type AppendResult, type MessageDraft, type Orm } from '@chat/common';
import type { UserRef } from '@chat/common/contract';
import { useTestDatabase } from '@chat/testkit/vitest';
import { CommitQueue, type CommitQueueOptions } from './commit-queue.js';

let orm: Orm;
const alice: UserRef = { id: randomUUID(), username: 'alice' };
const logger = createLogger({ service: 'test', level: 'silent' });

async function createRoom(): Promise<string> {
  const id = randomUUID();
  await orm.em.getKnex().raw('insert into rooms (id, name, owner_id) values (?, ?, ?)', [id, `room-${id}`, alice.id]);
  return id;
}

interface Probe {
  queue: CommitQueue;
  batches: MessageDraft[][];
  events: string[];
  overlaps: string[];
}

function probe(options: Partial<CommitQueueOptions> = {}): Probe {
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
        return await appendMessages(orm.em.getKnex(), drafts);
      } finally {
        for (const room of rooms) writing.delete(room);
      }
    },
    onCommitted: (draft, result) => events.push(result.ok ? `committed ${draft.roomId} ${result.message.seq}` : `failed ${draft.roomId}`),
    ...options,
  });
  return { queue, batches, events, overlaps };
}

const chat = (roomId: string, i: number): MessageDraft => ({ roomId, type: 'message', content: `m${i}`, sender: alice, clientId: `c${i}-${randomUUID()}` });

beforeAll(async () => {
  orm = await createOrm({ databaseUrl: await useTestDatabase(), poolMax: 8 });
  await orm.em.getKnex().raw(`insert into users (id, username, password_hash) values (?, ?, 'x')`, [alice.id, alice.username]);
});
afterAll(async () => {
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

  it('rejects the sends of a batch whose transaction failed', async () => {
    const { queue } = probe();
    const room = await createRoom();
    const ghost = { id: randomUUID(), username: 'ghost' };
    const good = queue.submit(chat(room, 1));
    const bad = queue.submit({ roomId: room, type: 'message', content: 'x', sender: ghost, clientId: 'ghost-1' });
    await expect(bad).rejects.toThrow();
    await expect(good).rejects.toThrow();
    const after = await queue.submit(chat(room, 2));
    expect(after.ok && after.message.seq).toBe(1);
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
