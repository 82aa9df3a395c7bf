import type { Message } from '@chat/contract';

/** A message of ours that the server has not acknowledged yet. */
export interface PendingMessage {
  clientId: string;
  content: string;
  /**
   * sending: emitted, waiting for the ack; waiting: offline, sent after the re-join;
   * unconfirmed: emitted on a live connection but never answered (or answered
   * `unavailable`), sent again (same clientId) after the next re-join; failed: refused.
   */
  state: 'sending' | 'waiting' | 'unconfirmed' | 'failed';
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
 * One room's messages: ordered by `seq`, deduplicated by `seq` and `id`, plus
 * our own pending sends (matched to the stored message by `clientId`) and
 * local notes. Pure data, no DOM.
 */
export class Timeline {
  readonly #bySeq = new Map<number, Message>();
  readonly #ids = new Set<string>();
  readonly #pending = new Map<string, PendingMessage>();
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
      if (m.clientId !== null && m.sender?.id === this.myUserId) this.#pending.delete(m.clientId);
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

  /** The highest `seq` seen, 0 when none: what `room:join` gets as `since`. */
  get lastSeq(): number {
    return this.messages().at(-1)?.seq ?? 0;
  }

  get firstSeq(): number | undefined {
    return this.messages()[0]?.seq;
  }

  /**
   * When a `seq` is missing between the first and the last message, the seq
   * just before the hole (to page with `after`); undefined when contiguous.
   */
  gapAfter(): number | undefined {
    const list = this.messages();
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      if (list[i]!.seq !== prev.seq + 1) return prev.seq;
    }
    return undefined;
  }

  addPending(clientId: string, content: string): PendingMessage {
    const pending: PendingMessage = { clientId, content, state: 'waiting' };
    this.#pending.set(clientId, pending);
    return pending;
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
