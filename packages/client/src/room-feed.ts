import type { Message } from '@chat/contract';

/**
 * One room's messages as the client has them: hands them on in `seq` order, each once,
 * whatever order and however many times they arrive (live, in a join's `missed`, from a
 * history page). `contiguous` is the highest seq up to which nothing is missing: what a
 * rejoin passes as `since`.
 */
export class RoomFeed {
  private next: number | undefined;
  private readonly ahead = new Map<number, Message>();

  constructor(private readonly deliver: (message: Message) => void) {}

  /** Up to which seq every message was handed on; undefined before the first one. */
  get contiguous(): number | undefined {
    return this.next === undefined ? undefined : this.next - 1;
  }

  /** Seqs waiting for an earlier one (a gap a rejoin or a history page will fill). */
  get waiting(): number {
    return this.ahead.size;
  }

  /** Starts the feed after `seq` when nothing was held yet (the room's latest seq known some other way). */
  startAfter(seq: number): void {
    if (this.next === undefined) this.next = seq + 1;
    this.drain();
  }

  add(message: Message): void {
    // The first message ever seen starts the feed (a join without history).
    if (this.next === undefined) this.next = message.seq;
    if (message.seq < this.next) return;
    this.ahead.set(message.seq, message);
    this.drain();
  }

  private drain(): void {
    if (this.next === undefined) return;
    for (const seq of this.ahead.keys()) if (seq < this.next) this.ahead.delete(seq);
    for (let message = this.ahead.get(this.next); message; message = this.ahead.get(this.next)) {
      this.ahead.delete(this.next);
      this.next += 1;
      this.deliver(message);
    }
  }
}
