import type { Message } from '@chat/contract';
import type { MessageDb } from './message.db.js';
import { storedMessage, type StoredMessage } from './message.store.js';

export interface HistoryPage {
  limit: number;
  /** Messages with seq < before (the page just below it). */
  before?: number | undefined;
  /** Messages with seq > after (the page just above it). */
  after?: number | undefined;
}

const JSON_FROM = `select chat_message_json(m, u.username)::text as json from messages m left join users u on u.id = m.sender_id`;
const read = (rows: { json: string }[]): Message[] => rows.map((r) => JSON.parse(r.json) as Message);

// Null bounds leave a side open, so one prepared statement per direction serves every page.
const PAGE_UP = `${JSON_FROM} where m.room_id = $1 and m.seq > $2 and ($3::bigint is null or m.seq < $3) order by m.seq asc limit $4`;
const PAGE_DOWN = `${JSON_FROM} where m.room_id = $1 and ($2::bigint is null or m.seq < $2) order by m.seq desc limit $3`;

/** A page of a room's messages in ascending seq; without before/after, the latest `limit`. */
export async function findMessages(db: MessageDb, roomId: string, page: HistoryPage): Promise<Message[]> {
  if (page.after !== undefined) return read(await db.query('messages_page_up', PAGE_UP, [roomId, page.after, page.before ?? null, page.limit]));
  return read(await db.query('messages_page_down', PAGE_DOWN, [roomId, page.before ?? null, page.limit])).reverse();
}

/** The chat message `senderId` stored in the room under `clientId`, if any (what a retried send returns). */
export async function findSentMessage(db: MessageDb, roomId: string, senderId: string, clientId: string): Promise<Message | undefined> {
  const rows = await db.query<{ json: string }>('message_by_client', `${JSON_FROM} where m.room_id = $1 and m.sender_id = $2 and m.client_id = $3`, [roomId, senderId, clientId]);
  return read(rows)[0];
}

/** The bot reply a job stored, if any (at most one per job: a unique index), with its JSON text. */
export async function findJobReply(db: MessageDb, jobId: string): Promise<StoredMessage | undefined> {
  const rows = await db.query<{ json: string }>('message_by_job', `${JSON_FROM} where m.job_id = $1`, [jobId]);
  return rows[0] ? storedMessage(rows[0].json) : undefined;
}

/** The room's last stored seq (`rooms.last_seq`, 0 for an empty room), or undefined for no such room. */
export async function findLastSeq(db: MessageDb, roomId: string): Promise<number | undefined> {
  const rows = await db.query<{ last_seq: string }>('room_last_seq', 'select last_seq from rooms where id = $1', [roomId]);
  return rows[0] ? Number(rows[0].last_seq) : undefined;
}
