import type { SendState } from '@chat/client';
import type { Message, ReactionEvent, ReactionSummary } from '@chat/contract';
import { applyReactionEvent, withReaction } from './reactions.js';

/** A message of ours that the server has not acknowledged yet. */
export interface PendingMessage {
  clientId: string;
  content: string;
  /** Where the SDK's outbox has it (see SendState), or failed: refused, until Retry or Dismiss. */
  state: SendState | 'failed';
  /** Why it failed, in words. */
  error?: string;
  retryable?: boolean;
}

/** Something only this user sees (a command's ack, /help), placed after the message it followed. */
export interface LocalNote {
  id: number;
  afterSeq: number;
  text: string;
}

/**
 * One room's messages: ordered by `seq` (older pages go in front of what the SDK
 * delivered), deduplicated by `seq` and `id`, plus our own pending sends (matched to
 * the stored message by `clientId`) and local notes. Pure data, no DOM.
 */
export class Timeline {
  readonly #bySeq = new Map<number, Message>();
  readonly #ids = new Set<string>();
  /** Reactions by message id: from history pages and `missed`, then kept current by `reaction` events. */
  readonly #reactions = new Map<string, readonly ReactionSummary[]>();
  readonly #pending = new Map<string, PendingMessage>();
  /** clientIds of our messages already stored: a late report of their send must not show them pending again. */
  readonly #storedClientIds = new Set<string>();
  readonly #notes: LocalNote[] = [];
  #sorted: Message[] | null = [];
  #noteId = 0;

  constructor(private readonly myUserId: string) {}

  /** Adds messages of this room; returns those that were new. */
  add(messages: Iterable<Message>): Message[] {
    const added: Message[] = [];
    for (const m of messages) {
      if (this.#bySeq.has(m.seq) || this.#ids.has(m.id)) continue;
      this.#bySeq.set(m.seq, m);
      this.#ids.add(m.id);
      if (m.reactions?.length) this.#reactions.set(m.id, m.reactions);
      if (m.clientId !== null && m.sender?.id === this.myUserId) {
        this.#pending.delete(m.clientId);
        this.#storedClientIds.add(m.clientId);
      }
      added.push(m);
    }
    if (added.length) this.#sorted = null;
    return added;
  }

  /** Messages in ascending `seq`. */
  messages(): readonly Message[] {
    this.#sorted ??= [...this.#bySeq.values()].sort((a, b) => a.seq - b.seq);
    return this.#sorted;
  }

  get size(): number {
    return this.#bySeq.size;
  }

  /** The highest `seq` seen, 0 when none (a local note goes after it). */
  get lastSeq(): number {
    return this.messages().at(-1)?.seq ?? 0;
  }

  reactions(messageId: string): readonly ReactionSummary[] {
    return this.#reactions.get(messageId) ?? [];
  }

  /** A `reaction` event of this room; false when its message is not held (a page read later brings it current). */
  applyReaction(event: ReactionEvent): boolean {
    if (!this.#ids.has(event.messageId)) return false;
    this.#reactions.set(event.messageId, applyReactionEvent(this.reactions(event.messageId), event, this.myUserId));
    return true;
  }

  /** Our own reaction as its acknowledgement tells it. */
  setOwnReaction(messageId: string, emoji: string, count: number, on: boolean): void {
    if (this.#ids.has(messageId)) this.#reactions.set(messageId, withReaction(this.reactions(messageId), emoji, count, on));
  }

  /** Shows a send as the SDK reports it (new, or moved on); one whose message is stored already stays out. */
  upsertPending(clientId: string, content: string, state: PendingMessage['state']): void {
    if (this.#storedClientIds.has(clientId)) return;
    this.#pending.set(clientId, { clientId, content, state });
  }

  updatePending(clientId: string, change: Partial<Omit<PendingMessage, 'clientId'>>): void {
    const pending = this.#pending.get(clientId);
    if (pending) this.#pending.set(clientId, { ...pending, ...change });
  }

  removePending(clientId: string): void {
    this.#pending.delete(clientId);
  }

  getPending(clientId: string): PendingMessage | undefined {
    return this.#pending.get(clientId);
  }

  /** Pending sends, oldest first. */
  pending(): PendingMessage[] {
    return [...this.#pending.values()];
  }

  addNote(text: string): LocalNote {
    const note = { id: ++this.#noteId, afterSeq: this.lastSeq, text };
    this.#notes.push(note);
    return note;
  }

  notes(): readonly LocalNote[] {
    return this.#notes;
  }
}
