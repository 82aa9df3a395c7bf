import type { BotName, Message, MessageType } from '@chat/contract';

/** A `messages` row joined with its sender's username, as raw SQL returns it. */
export interface MessageRecord {
  id: string;
  room_id: string;
  seq: string | number;
  type: MessageType;
  content: string;
  sender_id: string | null;
  sender_username: string | null;
  bot_name: string | null;
  client_id: string | null;
  created_at: Date | string;
}

export function toMessage(row: MessageRecord): Message {
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

export const MESSAGE_COLUMNS = `m.id, m.room_id, m.seq, m.type, m.content, m.sender_id, u.username as sender_username,
  m.bot_name, m.client_id, m.created_at`;
