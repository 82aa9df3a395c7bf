import { randomUUID } from 'node:crypto';
import { AppError, type BotName, type Message, type UserRef } from '@chat/contract';
import type { Knex } from '../context.js';
import { MESSAGE_COLUMNS, toMessage, type MessageInsert, type MessageRow } from './message.row.js';

export type MessageDraft =
  | { roomId: string; type: 'message'; content: string; sender: UserRef; clientId: string }
  | { roomId: string; type: 'system'; content: string }
  | { roomId: string; type: 'bot'; content: string; botName: BotName; jobId: string };

export type AppendResult =
  | { ok: true; message: Message; /** false when an earlier send with the same clientId/jobId was returned */ created: boolean }
  | { ok: false; error: AppError };

const nulField = (d: MessageDraft): 'content' | 'clientId' | undefined =>
  d.content.includes('\u0000') ? 'content' : d.type === 'message' && d.clientId.includes('\u0000') ? 'clientId' : undefined;

/** A clientId is unique per room and sender (as the unique index is), a jobId everywhere. */
const chatKey = (roomId: string, senderId: string, clientId: string): string => `c:${roomId}:${senderId}:${clientId}`;
const dedupeKey = (d: MessageDraft): string | null =>
  d.type === 'message' ? chatKey(d.roomId, d.sender.id, d.clientId) : d.type === 'bot' ? `j:${d.jobId}` : null;

/**
 * Stores drafts in one transaction: each room's row is locked, the next `seq`
 * values are taken in order with no gaps, a chat message whose sender is not a
 * member of the room is refused (`forbidden`), and a draft whose clientId (per
 * room and sender) or jobId was stored before returns the stored message instead.
 * Results come back in the drafts' order. Rooms are locked in id order, so
 * concurrent batches cannot deadlock. The lock is FOR NO KEY UPDATE: it
 * serialises appenders of a room as FOR UPDATE would, but does not conflict
 * with the FOR KEY SHARE locks that foreign keys take on the room row, so a
 * caller's transaction that inserted a membership (or a message) of the room
 * first cannot deadlock with another doing the same.
 */
export async function appendMessages(knex: Knex, drafts: MessageDraft[]): Promise<AppendResult[]> {
  if (drafts.length === 0) return [];
  const results = new Array<AppendResult | undefined>(drafts.length);
  const byRoom = new Map<string, number[]>();
  drafts.forEach((d, i) => {
    // PostgreSQL refuses NUL in text; refused here, one such draft cannot fail the whole batch.
    const nul = nulField(d);
    if (nul) {
      results[i] = { ok: false, error: AppError.validation(`${nul}: must not contain the NUL character (\\u0000)`) };
      return;
    }
    const list = byRoom.get(d.roomId) ?? [];
    list.push(i);
    byRoom.set(d.roomId, list);
  });
  const roomIds = [...byRoom.keys()].sort();
  const settled = (): AppendResult[] => results.map((r) => r ?? { ok: false, error: new AppError('internal', 'message not stored') });
  if (roomIds.length === 0) return settled();

  await knex.transaction(async (trx) => {
    const locked = await trx.raw<{ rows: { id: string; last_seq: string }[] }>(
      'select id, last_seq from rooms where id = any(?::uuid[]) order by id for no key update',
      [roomIds],
    );
    const lastSeq = new Map(locked.rows.map((r) => [r.id, Number(r.last_seq)]));
    // A sender who left the room over REST since joining it on a socket may no longer write there.
    const members = await memberPairs(trx, drafts.filter((_, i) => results[i] === undefined));
    drafts.forEach((d, i) => {
      if (d.type === 'message' && results[i] === undefined && !members.has(`${d.roomId}|${d.sender.id}`)) {
        results[i] = { ok: false, error: AppError.forbidden('you are no longer a member of this room') };
      }
    });
    const existing = await findExisting(trx, drafts.filter((_, i) => results[i] === undefined));
    const rows: MessageInsert[] = [];
    const pending: { index: number; row: MessageInsert }[] = [];

    for (const roomId of roomIds) {
      const indexes = byRoom.get(roomId) ?? [];
      let seq = lastSeq.get(roomId);
      if (seq === undefined) {
        for (const i of indexes) results[i] = { ok: false, error: AppError.notFound('room not found') };
        continue;
      }
      const inBatch = new Map<string, number>();
      for (const i of indexes) {
        if (results[i] !== undefined) continue;
        const draft = drafts[i]!;
        const key = dedupeKey(draft);
        const stored = key ? existing.get(key) : undefined;
        if (stored) {
          results[i] = { ok: true, message: stored, created: false };
          continue;
        }
        const twin = key ? inBatch.get(key) : undefined;
        if (twin !== undefined) {
          // Same clientId twice in one batch: the later one resolves to the first.
          pending.push({ index: i, row: pending.find((p) => p.index === twin)!.row });
          continue;
        }
        seq += 1;
        const row: MessageInsert = {
          id: randomUUID(),
          room_id: roomId,
          seq,
          type: draft.type,
          content: draft.content,
          sender_id: draft.type === 'message' ? draft.sender.id : null,
          bot_name: draft.type === 'bot' ? draft.botName : null,
          client_id: draft.type === 'message' ? draft.clientId : null,
          job_id: draft.type === 'bot' ? draft.jobId : null,
        };
        rows.push(row);
        pending.push({ index: i, row });
        if (key) inBatch.set(key, i);
      }
      if (seq !== lastSeq.get(roomId)) {
        await trx.raw('update rooms set last_seq = ? where id = ?', [seq, roomId]);
      }
    }

    const createdAt = new Map<string, Date>();
    if (rows.length > 0) {
      const inserted = await trx('messages').insert(rows).returning(['id', 'created_at']);
      for (const r of inserted as { id: string; created_at: Date }[]) createdAt.set(r.id, r.created_at);
    }
    const firstOf = new Set<string>();
    for (const { index, row } of pending) {
      const draft = drafts[index]!;
      const created = !firstOf.has(row.id);
      firstOf.add(row.id);
      results[index] = {
        ok: true,
        created,
        message: toMessage({
          ...row,
          type: draft.type,
          sender_username: draft.type === 'message' ? draft.sender.username : null,
          created_at: createdAt.get(row.id) ?? new Date(),
        }),
      };
    }
  });

  return settled();
}

/** Stores one draft; throws the AppError if it could not be stored. */
export async function appendMessage(knex: Knex, draft: MessageDraft): Promise<{ message: Message; created: boolean }> {
  const [result] = await appendMessages(knex, [draft]);
  if (!result || !result.ok) throw result?.error ?? new AppError('internal', 'message not stored');
  return { message: result.message, created: result.created };
}

/** The (room, sender) pairs of the chat drafts that are memberships, as `roomId|userId`. */
async function memberPairs(trx: Knex, drafts: MessageDraft[]): Promise<Set<string>> {
  const chat = drafts.filter((d): d is Extract<MessageDraft, { type: 'message' }> => d.type === 'message');
  if (chat.length === 0) return new Set();
  const { rows } = await trx.raw<{ rows: { room_id: string; user_id: string }[] }>(
    `select m.room_id, m.user_id from memberships m
     join unnest(?::uuid[], ?::uuid[]) as k(room_id, user_id) on m.room_id = k.room_id and m.user_id = k.user_id`,
    [chat.map((d) => d.roomId), chat.map((d) => d.sender.id)],
  );
  return new Set(rows.map((r) => `${r.room_id}|${r.user_id}`));
}

async function findExisting(trx: Knex, drafts: MessageDraft[]): Promise<Map<string, Message>> {
  const found = new Map<string, Message>();
  const chat = drafts.filter((d): d is Extract<MessageDraft, { type: 'message' }> => d.type === 'message');
  const jobs = drafts.filter((d): d is Extract<MessageDraft, { type: 'bot' }> => d.type === 'bot');
  if (chat.length > 0) {
    const { rows } = await trx.raw<{ rows: MessageRow[] }>(
      `select ${MESSAGE_COLUMNS} from messages m left join users u on u.id = m.sender_id
       join unnest(?::uuid[], ?::uuid[], ?::text[]) as k(room_id, sender_id, client_id)
         on m.room_id = k.room_id and m.sender_id = k.sender_id and m.client_id = k.client_id`,
      [chat.map((d) => d.roomId), chat.map((d) => d.sender.id), chat.map((d) => d.clientId)],
    );
    for (const r of rows) found.set(chatKey(r.room_id, r.sender_id ?? '', r.client_id ?? ''), toMessage(r));
  }
  if (jobs.length > 0) {
    const { rows } = await trx.raw<{ rows: (MessageRow)[] }>(
      `select ${MESSAGE_COLUMNS} from messages m left join users u on u.id = m.sender_id
       where m.job_id = any(?::text[])`,
      [jobs.map((d) => d.jobId)],
    );
    for (const r of rows) found.set(`j:${r.job_id}`, toMessage(r));
  }
  return found;
}
