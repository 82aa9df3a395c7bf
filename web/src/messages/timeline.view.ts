import type { UserRef } from '@chat/contract';
import { h } from '../ui/dom.js';
import type { AiStream } from './ai-streams.js';
import { renderMessage, renderNote, renderPending, renderStream, updateStream, type PendingActions } from './message.view.js';
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

  constructor(private readonly me: UserRef, private readonly actions: PendingActions & { loadOlder(): void }) {
    this.#older = h('button', { type: 'button', class: 'btn btn--small btn--ghost timeline__older', onclick: () => actions.loadOlder() }, 'Load older messages');
    this.#list = h('ol', { class: 'timeline__list', 'aria-label': 'Messages' });
    this.#scroller = h('div', { class: 'timeline', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: 0 }, this.#older, this.#list);
    this.#newBelow = h('button', { type: 'button', class: 'btn btn--primary btn--small timeline__new', hidden: true, onclick: () => this.scrollToBottom() }, 'New messages ↓');
    this.element = h('div', { class: 'timeline-wrap' }, this.#scroller, this.#newBelow);
    this.#scroller.addEventListener('scroll', () => {
      if (this.#olderState === 'more' && this.#scroller.scrollTop < NEAR_TOP_PX) actions.loadOlder();
      if (this.#nearBottom()) this.#newBelow.hidden = true;
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
    for (const m of timeline.messages()) {
      flushNotes(m.seq - 1);
      items.push({ key: `m:${m.id}`, build: () => renderMessage(m, this.me.id) });
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
