import type { Message } from '@chat/contract';
import type { Knex } from '../context.js';
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from './message.row.js';

export interface HistoryPage {
  limit: number;
  /** Messages with seq < before (the page just below it). */
  before?: number | undefined;
  /** Messages with seq > after (the page just above it). */
  after?: number | undefined;
}

const FROM = 'from messages m left join users u on u.id = m.sender_id';

/** A page of a room's messages in ascending seq; without before/after, the latest `limit`. */
export async function findMessages(knex: Knex, roomId: string, page: HistoryPage): Promise<Message[]> {
  const ascending = page.after !== undefined;
  const conditions = ['m.room_id = ?'];
  const params: (string | number)[] = [roomId];
  if (page.after !== undefined) {
    conditions.push('m.seq > ?');
    params.push(page.after);
  }
  if (page.before !== undefined) {
    conditions.push('m.seq < ?');
    params.push(page.before);
  }
  params.push(page.limit);
  const { rows } = await knex.raw<{ rows: MessageRow[] }>(
    `select ${MESSAGE_COLUMNS} ${FROM} where ${conditions.join(' and ')} order by m.seq ${ascending ? 'asc' : 'desc'} limit ?`,
    params,
  );
  const messages = rows.map(toMessage);
  return ascending ? messages : messages.reverse();
}

/** The chat message `senderId` stored in the room under `clientId`, if any (what a retried send returns). */
export async function findSentMessage(knex: Knex, roomId: string, senderId: string, clientId: string): Promise<Message | undefined> {
  const { rows } = await knex.raw<{ rows: MessageRow[] }>(
    `select ${MESSAGE_COLUMNS} ${FROM} where m.room_id = ? and m.sender_id = ? and m.client_id = ?`,
    [roomId, senderId, clientId],
  );
  return rows[0] ? toMessage(rows[0]) : undefined;
}

/** The bot reply a job stored, if any: at most one per job (a unique index). */
export async function findJobReply(knex: Knex, jobId: string): Promise<Message | undefined> {
  const { rows } = await knex.raw<{ rows: MessageRow[] }>(`select ${MESSAGE_COLUMNS} ${FROM} where m.job_id = ?`, [jobId]);
  return rows[0] ? toMessage(rows[0]) : undefined;
}
