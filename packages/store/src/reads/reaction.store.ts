import { AppError, MAX_REACTIONS_PER_MESSAGE, type Message, type ReactionSummary } from '@chat/contract';
import type { MessageDb } from '../messages/message.db.js';

export interface ReactionChange {
  /** The message's seq. */
  seq: number;
  /** The emoji's count on the message after the call. */
  count: number;
  /** Whether the call added or removed a reaction (false: it was already so). */
  changed: boolean;
}

export interface ReactionStore {
  /**
   * Adds or removes `userId`'s reaction with `emoji` on a message of the room, idempotently:
   * `not_found` for no such message in the room, `forbidden` for a non-member, `validation` for a
   * new emoji past the cap.
   */
  set(roomId: string, messageId: string, userId: string, emoji: string, on: boolean): Promise<ReactionChange>;
  /** The messages with their `reactions` (in order of first use) as `userId` sees them. */
  attach(messages: Message[], userId: string): Promise<Message[]>;
}

const SUMMARIES = `
  select message_id, emoji, count(*)::int as count, bool_or(user_id = $2) as reacted
  from reactions where message_id = any($1::uuid[])
  group by message_id, emoji order by message_id, min(created_at), emoji`;

export function createReactionStore(db: MessageDb): ReactionStore {
  return {
    async set(roomId, messageId, userId, emoji, on) {
      const [row] = await db.query<{ outcome: string; seq: string | null; emoji_count: number; changed: boolean }>(
        'reaction_set',
        'select outcome, seq, emoji_count, changed from chat_set_reaction($1, $2, $3, $4, $5, $6)',
        [roomId, messageId, userId, emoji, on, MAX_REACTIONS_PER_MESSAGE],
      );
      switch (row?.outcome) {
        case 'ok':
          return { seq: Number(row.seq), count: row.emoji_count, changed: row.changed };
        case 'forbidden':
          throw AppError.forbidden('join the room first');
        case 'too_many':
          throw AppError.validation(`a message takes at most ${MAX_REACTIONS_PER_MESSAGE} different emoji`);
        default:
          throw AppError.notFound('message not found in this room');
      }
    },

    async attach(messages, userId) {
      if (messages.length === 0) return messages;
      const rows = await db.query<{ message_id: string; emoji: string; count: number; reacted: boolean }>('reaction_summaries', SUMMARIES, [
        messages.map((m) => m.id),
        userId,
      ]);
      const byMessage = new Map<string, ReactionSummary[]>();
      for (const row of rows) {
        let list = byMessage.get(row.message_id);
        if (!list) byMessage.set(row.message_id, (list = []));
        list.push({ emoji: row.emoji, count: row.count, reacted: row.reacted });
      }
      return messages.map((m) => ({ ...m, reactions: byMessage.get(m.id) ?? [] }));
    },
  };
}
