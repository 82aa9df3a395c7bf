import { AppError, type Message } from '@chat/contract';
import { appendMessages, MESSAGE_COLUMNS, toMessage, type AppendResult, type MessageDraft, type MessageRecord } from '@chat/store';
import type { Knex } from '@mikro-orm/postgresql';
import type { RoomRepository } from '../rooms/room.repository.js';

/**
 * Stores a batch of chat sends: senders who are no longer members (they left
 * over REST after `room:join`) are refused, the rest go to common's
 * appendMessages as one transaction.
 */
export function createMessageStore(knex: Knex, rooms: RoomRepository): (drafts: MessageDraft[]) => Promise<AppendResult[]> {
  return async (drafts) => {
    const senders = drafts.flatMap((d) => (d.type === 'message' ? [{ roomId: d.roomId, userId: d.sender.id }] : []));
    const members = await rooms.existingMemberships(senders);
    const allowed: MessageDraft[] = [];
    const results = new Array<AppendResult | undefined>(drafts.length);
    const positions: number[] = [];
    drafts.forEach((draft, i) => {
      if (draft.type === 'message' && !members.has(`${draft.roomId}|${draft.sender.id}`)) {
        results[i] = { ok: false, error: AppError.forbidden('you are no longer a member of this room') };
      } else {
        allowed.push(draft);
        positions.push(i);
      }
    });
    const stored = await appendMessages(knex, allowed);
    stored.forEach((result, j) => {
      results[positions[j]!] = result;
    });
    return results.map((r) => r ?? { ok: false, error: new AppError('internal', 'message not stored') });
  };
}

/** The chat message `senderId` stored in the room under `clientId`, if any (what a retried send returns). */
export async function findSentMessage(knex: Knex, roomId: string, senderId: string, clientId: string): Promise<Message | undefined> {
  const { rows } = await knex.raw<{ rows: MessageRecord[] }>(
    `select ${MESSAGE_COLUMNS} from messages m left join users u on u.id = m.sender_id
     where m.room_id = ? and m.sender_id = ? and m.client_id = ?`,
    [roomId, senderId, clientId],
  );
  return rows[0] ? toMessage(rows[0]) : undefined;
}
