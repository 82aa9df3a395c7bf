import type { Knex } from '@mikro-orm/postgresql';
import type { Message } from '@chat/contract';
import { MESSAGE_COLUMNS, toMessage, type MessageRecord } from './message.row.js';

export interface HistoryPage {
  limit: number;
  /** Messages with seq < before (the page just below it). */
  before?: number | undefined;
  /** Messages with seq > after (the page just above it). */
  after?: number | undefined;
}

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
  const { rows } = await knex.raw<{ rows: MessageRecord[] }>(
    `select ${MESSAGE_COLUMNS} from messages m left join users u on u.id = m.sender_id
     where ${conditions.join(' and ')} order by m.seq ${ascending ? 'asc' : 'desc'} limit ?`,
    params,
  );
  const messages = rows.map(toMessage);
  return ascending ? messages : messages.reverse();
}
