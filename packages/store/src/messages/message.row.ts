import type { BotName, Message, MessageType } from '@chat/contract';

/** A `messages` row as the store's SQL reads it (MESSAGE_COLUMNS): the table's columns and the sender's username. */
export interface MessageRow {
  id: string;
  room_id: string;
  seq: string | number;
  type: MessageType;
  content: string;
  sender_id: string | null;
  sender_username: string | null;
  bot_name: string | null;
  client_id: string | null;
  job_id: string | null;
  created_at: Date | string;
}

/** What an INSERT writes: the row without what the database or the join supplies. */
export type MessageInsert = Omit<MessageRow, 'sender_username' | 'created_at'>;

/** The select list of a MessageRow: `messages m left join users u on u.id = m.sender_id`. */
export const MESSAGE_COLUMNS = `m.id, m.room_id, m.seq, m.type, m.content, m.sender_id, u.username as sender_username,
  m.bot_name, m.client_id, m.job_id, m.created_at`;

/** A row as the contract's `message`. */
export function toMessage(row: MessageRow): Message {
  const timestamp = (row.created_at instanceof Date ? row.created_at : new Date(row.created_at)).toISOString();
  const base = { id: row.id, roomId: row.room_id, seq: Number(row.seq), type: row.type, content: row.content, timestamp };
  switch (row.type) {
    case 'message':
      return {
        ...base,
        sender: row.sender_id ? { id: row.sender_id, username: row.sender_username ?? '' } : null,
        clientId: row.client_id,
      };
    case 'bot':
      return { ...base, sender: { id: null, username: (row.bot_name ?? 'stock-bot') as BotName }, clientId: null };
    case 'system':
      return { ...base, sender: null, clientId: null };
  }
}
