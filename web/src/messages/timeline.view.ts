import type { UserRef } from '@chat/common/contract';
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
  readonly element: HTMLElement;
  readonly #list: HTMLOListElement;
  readonly #older: HTMLButtonElement;
  readonly #nodes = new Map<string, HTMLElement>();
  #olderState: OlderState = 'none';

  constructor(private readonly me: UserRef, private readonly actions: PendingActions & { loadOlder(): void }) {
    this.#older = h('button', { type: 'button', class: 'btn btn--small btn--ghost timeline__older', onclick: () => actions.loadOlder() }, 'Load older messages');
    this.#list = h('ol', { class: 'timeline__list', 'aria-label': 'Messages' });
    this.element = h('div', { class: 'timeline', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: 0 }, this.#older, this.#list);
    this.element.addEventListener('scroll', () => {
      if (this.#olderState === 'more' && this.element.scrollTop < NEAR_TOP_PX) actions.loadOlder();
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
    return this.element.scrollHeight <= this.element.clientHeight + NEAR_TOP_PX;
  }

  render(timeline: Timeline, streams: AiStream[], intent: ScrollIntent = 'auto'): void {
    const el = this.element;
    const nearBottom = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    const before = { height: el.scrollHeight, top: el.scrollTop };

    this.#reconcile(this.#items(timeline, streams));

    if (intent === 'bottom' || (intent === 'auto' && nearBottom)) el.scrollTop = el.scrollHeight;
    else if (intent === 'keep') el.scrollTop = before.top + (el.scrollHeight - before.height);
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
