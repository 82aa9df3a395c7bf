import type { ChatClient } from '@chat/client';
import type { UserRef } from '@chat/contract';
import { dividerSeq, type UnreadAtOpen } from '../messages/layout.js';
import type { Timeline } from '../messages/timeline.js';
import type { TimelineView } from '../messages/timeline.view.js';
import { unreadAfter } from './unread.js';

/** Where this user's reading of a room stands; `unread` undefined when the messages held do not reach back to the cursor. */
export interface ReadState {
  readSeq: number;
  lastSeq: number;
  unread: number | undefined;
}

export interface RoomReadsDeps {
  chat: ChatClient;
  me: UserRef;
  roomId: string;
  timeline: Timeline;
  view: TimelineView;
  /** The reading moved on (read here or elsewhere, or a message came): for the badge. */
  onRead(roomId: string, state: ReadState): void;
}

/**
 * The open room's read cursor: what was unread when it opened (the "new messages" divider
 * stays there), what comes into view is marked read when the view settles — never while the
 * page is hidden — and every move is told to the room list.
 */
export class RoomReads {
  #atOpen: UnreadAtOpen | undefined;
  /** The cursor as far as this view knows; messages up to it were seen. */
  #readSeq = 0;
  /** Joined and its first page shown: from then on what comes into view is marked read. */
  #reading = false;
  #closed = false;

  constructor(private readonly deps: RoomReadsDeps) {}

  /** The room opened with this cursor and last seq (the server's, read before anything here was marked). */
  opened(atOpen: UnreadAtOpen | undefined): void {
    this.#atOpen = atOpen;
    this.#readSeq = Math.max(atOpen?.readSeq ?? 0, this.deps.chat.readSeq(this.deps.roomId));
  }

  /** The first page is shown: put the divider in view, and start marking. */
  start(): void {
    this.deps.view.revealDivider();
    this.#reading = true;
    this.settled();
  }

  /** The seq the divider goes above, for the next render. */
  divider(): number | undefined {
    return dividerSeq(this.deps.timeline.messages(), this.#atOpen, this.deps.me.id);
  }

  /** The view is at rest, or the page came back into view: marks what is in view read. */
  settled(): void {
    if (!this.#reading || this.#closed) return;
    const seq = document.visibilityState === 'visible' ? this.deps.view.lastVisibleSeq() : undefined;
    if (seq !== undefined && seq > this.#readSeq) {
      // Offline or refused: marked again when the view next settles.
      this.deps.chat.markRead(this.deps.roomId, seq).then(
        (readSeq) => this.moved(readSeq),
        (err: unknown) => console.debug('room:read not delivered', err),
      );
    } else this.report(); // what came in and was not seen counts
  }

  /** The cursor moved: marked here, on another device, or by our own message. */
  moved(readSeq: number): void {
    if (readSeq <= this.#readSeq || this.#closed) return;
    this.#readSeq = readSeq;
    this.report();
  }

  /** Tells the room list where reading stands (again: after it reloaded, say). */
  report(): void {
    if (!this.#reading || this.#closed) return;
    const { timeline, me, roomId } = this.deps;
    const lastSeq = Math.max(timeline.lastSeq, this.#atOpen?.lastSeq ?? 0);
    this.deps.onRead(roomId, { readSeq: this.#readSeq, lastSeq, unread: unreadAfter(timeline.messages(), this.#readSeq, me.id) });
  }

  close(): void {
    this.#closed = true;
  }
}
