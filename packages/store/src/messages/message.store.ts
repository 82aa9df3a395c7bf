import { AppError, MessageText, type BotName, type UserRef } from '@chat/contract';
import type { MessageDb } from './message.db.js';

export type MessageDraft =
  | { roomId: string; type: 'message'; content: string; sender: UserRef; clientId: string }
  | { roomId: string; type: 'system'; content: string }
  | { roomId: string; type: 'bot'; content: string; botName: BotName; jobId: string };

/**
 * A stored message as the JSON text PostgreSQL made of it (`chat_message_json`), which goes on the
 * wire as is, with its room and seq; `message` parses it when something needs the whole message.
 */
export type StoredMessage = MessageText;

/** A draft stored (or found stored before: `created` false). */
export class AppendedMessage extends MessageText {
  readonly ok = true as const;

  constructor(
    text: MessageText,
    /** false when an earlier send with the same clientId/jobId was returned */
    readonly created: boolean,
  ) {
    super(text.json, text.roomId, text.seq);
  }
}

export type AppendResult = AppendedMessage | { ok: false; error: AppError };

/** A row of `chat_message_json`'s text (PostgreSQL wrote it; it is not parsed here). */
export const storedMessage = (json: string): StoredMessage => MessageText.of(json);

const nulField = (d: MessageDraft): 'content' | 'clientId' | undefined =>
  d.content.includes('\u0000') ? 'content' : d.type === 'message' && d.clientId.includes('\u0000') ? 'clientId' : undefined;

const APPEND = 'select ord, outcome, message from chat_append_messages($1, $2, $3, $4, $5, $6, $7)';

/**
 * Stores drafts in one statement (`chat_append_messages`, one transaction): each room's
 * row is locked, the next `seq` values are taken in order with no gaps, a chat message
 * whose sender is not a member of the room is refused (`forbidden`), and a draft whose
 * clientId (per room and sender) or jobId was stored before returns the stored message
 * instead. Results come back in the drafts' order.
 */
export async function appendMessages(db: MessageDb, drafts: MessageDraft[]): Promise<AppendResult[]> {
  const results = new Array<AppendResult | undefined>(drafts.length);
  // PostgreSQL refuses NUL in text; refused here, one such draft cannot fail the whole batch.
  const sent: number[] = [];
  drafts.forEach((d, i) => {
    const nul = nulField(d);
    if (nul) results[i] = { ok: false, error: AppError.validation(`${nul}: must not contain the NUL character (\\u0000)`) };
    else sent.push(i);
  });
  if (sent.length > 0) {
    const batch = sent.map((i) => drafts[i]!);
    const rows = await db.query<{ ord: number; outcome: 'created' | 'existing' | 'forbidden' | 'not_found'; message: string | null }>('chat_append_messages', APPEND, [
      batch.map((d) => d.roomId),
      batch.map((d) => d.type),
      batch.map((d) => d.content),
      batch.map((d) => (d.type === 'message' ? d.sender.id : null)),
      batch.map((d) => (d.type === 'bot' ? d.botName : null)),
      batch.map((d) => (d.type === 'message' ? d.clientId : null)),
      batch.map((d) => (d.type === 'bot' ? d.jobId : null)),
    ]);
    for (const row of rows) {
      const index = sent[row.ord - 1]!;
      results[index] =
        row.outcome === 'created' || row.outcome === 'existing'
          ? new AppendedMessage(storedMessage(row.message!), row.outcome === 'created')
          : { ok: false, error: row.outcome === 'forbidden' ? AppError.forbidden('you are no longer a member of this room') : AppError.notFound('room not found') };
    }
  }
  return results.map((r) => r ?? { ok: false, error: new AppError('internal', 'message not stored') });
}

/** Stores one draft; throws the AppError if it could not be stored. */
export async function appendMessage(db: MessageDb, draft: MessageDraft): Promise<AppendedMessage> {
  const [result] = await appendMessages(db, [draft]);
  if (!result?.ok) throw result?.error ?? new AppError('internal', 'message not stored');
  return result;
}
