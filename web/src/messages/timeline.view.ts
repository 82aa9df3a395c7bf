import type { UserRef } from '@chat/contract';
import { h } from '../ui/dom.js';
import type { AiStream } from './ai-streams.js';
import { placeMessages } from './layout.js';
import { renderMessage, renderNote, renderPending, renderStream, updateReactions, updateStream, type PendingActions } from './message.view.js';
import type { ReactionActions } from './reactions.view.js';
import type { Timeline } from './timeline.js';

export type OlderState = 'more' | 'loading' | 'none';
/** bottom: scroll to the end; keep: older messages were put on top, hold the view still; auto: follow the end if the reader is there. */
export type ScrollIntent = 'bottom' | 'keep' | 'auto';

interface Item {
  key: string;
  build(): HTMLElement;
  update?(el: HTMLElement): void;
}

const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 120;
/** How long scrolling must rest before what is in view counts as seen. */
const SETTLE_MS = 250;

export interface TimelineActions extends PendingActions, ReactionActions {
  loadOlder(): void;
  /** The view came to rest (after a scroll or a render): what is in view may be marked read. */
  settled(): void;
}

/**
 * The scrolling message list. Elements are keyed and reused, so a render only
 * inserts what is new; scrolling near the top asks for older pages.
 */
export class TimelineView {
  /** The scrolling list with its "new messages" button. */
  readonly element: HTMLElement;
  readonly #scroller: HTMLElement;
  readonly #list: HTMLOListElement;
  readonly #older: HTMLButtonElement;
  readonly #newBelow: HTMLButtonElement;
  #lastKey: string | undefined;
  readonly #nodes = new Map<string, HTMLElement>();
  #olderState: OlderState = 'none';
  #settleTimer: ReturnType<typeof setTimeout> | undefined;
  /** The seq the "new messages" divider goes above, if any. */
  #divider: number | undefined;

  constructor(private readonly me: UserRef, private readonly actions: TimelineActions) {
    this.#older = h('button', { type: 'button', class: 'btn btn--small btn--ghost timeline__older', onclick: () => actions.loadOlder() }, 'Load older messages');
    this.#list = h('ol', { class: 'timeline__list', 'aria-label': 'Messages' });
    this.#scroller = h('div', { class: 'timeline', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: 0 }, this.#older, this.#list);
    this.#newBelow = h('button', { type: 'button', class: 'btn btn--primary btn--small timeline__new', hidden: true, onclick: () => this.scrollToBottom() }, 'New messages ↓');
    this.element = h('div', { class: 'timeline-wrap' }, this.#scroller, this.#newBelow);
    this.#scroller.addEventListener('scroll', () => {
      if (this.#olderState === 'more' && this.#scroller.scrollTop < NEAR_TOP_PX) actions.loadOlder();
      if (this.#nearBottom()) this.#newBelow.hidden = true;
      this.#settleSoon();
    }, { passive: true });
    this.setOlder('none');
  }

  setOlder(state: OlderState): void {
    this.#olderState = state;
    this.#older.hidden = state === 'none';
    this.#older.disabled = state === 'loading';
    this.#older.textContent = state === 'loading' ? 'Loading older messages…' : 'Load older messages';
  }

  /** True when the list does not fill the view yet, so scrolling cannot ask for more. */
  get underfilled(): boolean {
    return this.#scroller.scrollHeight <= this.#scroller.clientHeight + NEAR_TOP_PX;
  }

  /** Where the "new messages" divider goes (fixed when the room opens); takes effect at the next render. */
  setDivider(seq: number | undefined): void {
    this.#divider = seq;
  }

  /** Scrolls the divider to the top of the view when it is above it, so the first unread message is the first seen. */
  revealDivider(): void {
    const divider = this.#list.querySelector<HTMLElement>('.unread-divider');
    if (!divider) return;
    const top = divider.offsetTop - this.#list.offsetTop;
    if (top < this.#scroller.scrollTop) this.#scroller.scrollTop = top;
  }

  /** The highest seq of a stored message whose top is inside the view, or undefined. */
  lastVisibleSeq(): number | undefined {
    const view = this.#scroller.getBoundingClientRect();
    const items = this.#list.querySelectorAll<HTMLElement>('[data-seq]');
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i]!;
      const box = item.getBoundingClientRect();
      // Seen once its first line is in view (a long message need not be read to its end).
      if (box.top < view.bottom - 8 && box.bottom > view.top) return Number(item.dataset.seq);
    }
    return undefined;
  }

  scrollToBottom(): void {
    this.#scroller.scrollTop = this.#scroller.scrollHeight;
    this.#newBelow.hidden = true;
  }

  render(timeline: Timeline, streams: AiStream[], intent: ScrollIntent = 'auto'): void {
    const el = this.#scroller;
    const nearBottom = this.#nearBottom();
    const before = { height: el.scrollHeight, top: el.scrollTop };

    const items = this.#items(timeline, streams);
    this.#reconcile(items);
    const lastKey = items.at(-1)?.key;
    const grewAtEnd = lastKey !== this.#lastKey;
    this.#lastKey = lastKey;

    if (intent === 'bottom' || (intent === 'auto' && nearBottom)) this.scrollToBottom();
    else if (intent === 'keep') el.scrollTop = before.top + (el.scrollHeight - before.height);
    else if (grewAtEnd) this.#newBelow.hidden = false; // the reader is further up: say something arrived
    this.#settleSoon();
  }

  #settleSoon(): void {
    clearTimeout(this.#settleTimer);
    this.#settleTimer = setTimeout(() => this.actions.settled(), SETTLE_MS);
  }

  #nearBottom(): boolean {
    const el = this.#scroller;
    return el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
  }

  #items(timeline: Timeline, streams: AiStream[]): Item[] {
    const items: Item[] = [];
    const notes = [...timeline.notes()];
    const flushNotes = (upToSeq: number) => {
      while (notes.length && notes[0]!.afterSeq <= upToSeq) {
        const note = notes.shift()!;
        items.push({ key: `n:${note.id}`, build: () => renderNote(note) });
      }
    };
    for (const { message: m, day, divider, grouped } of placeMessages(timeline.messages(), this.#divider)) {
      flushNotes(m.seq - 1);
      if (day) items.push({ key: `d:${m.id}:${day}`, build: () => h('li', { class: 'day-separator', role: 'separator', 'aria-label': day }, h('span', {}, day)) });
      if (divider) items.push({ key: 'divider', build: () => h('li', { class: 'unread-divider', role: 'separator', 'aria-label': 'New messages' }, h('span', {}, 'New messages')) });
      const reactions = () => timeline.reactions(m.id);
      items.push({
        // Re-built when its grouping changes (an older page put a message of its sender before it).
        key: `m:${m.id}${grouped ? ':g' : ''}`,
        build: () => renderMessage(m, this.me.id, { grouped, reactions: reactions() }, this.actions),
        update: (el) => updateReactions(el, m, reactions(), this.actions),
      });
    }
    flushNotes(Number.POSITIVE_INFINITY);
    for (const s of streams) items.push({ key: `s:${s.requestId}`, build: () => renderStream(s), update: (el) => updateStream(el, s) });
    for (const p of timeline.pending()) {
      items.push({ key: `p:${p.clientId}:${p.state}:${p.error ?? ''}`, build: () => renderPending(p, this.me, this.actions) });
    }
    return items;
  }

  #reconcile(items: Item[]): void {
    const wanted = new Set(items.map((i) => i.key));
    for (const [key, node] of this.#nodes) {
      if (!wanted.has(key)) {
        node.remove();
        this.#nodes.delete(key);
      }
    }
    let cursor = this.#list.firstElementChild;
    for (const item of items) {
      let node = this.#nodes.get(item.key);
      if (node) item.update?.(node);
      else {
        node = item.build();
        this.#nodes.set(item.key, node);
      }
      if (node === cursor) cursor = cursor.nextElementSibling;
      else this.#list.insertBefore(node, cursor);
    }
  }
}
