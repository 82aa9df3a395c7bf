import type { ChatClient } from '@chat/client';
import { HISTORY_DEFAULT_LIMIT } from '@chat/contract';
import type { Timeline } from './timeline.js';
import type { OlderState, ScrollIntent, TimelineView } from './timeline.view.js';

export interface HistoryDeps {
  chat: ChatClient;
  roomId: string;
  timeline: Timeline;
  view: TimelineView;
  render(intent: ScrollIntent): void;
  isClosed(): boolean;
  onError(err: unknown): void;
}

/**
 * Scroll-back: older pages of the open room, read by the SDK below the oldest message it
 * holds, and put on top of the timeline without moving what the reader sees. (The latest
 * page, catch-up and gaps are the SDK's: they arrive as `message` events.)
 */
export class History {
  #older: OlderState = 'none';

  constructor(private readonly deps: HistoryDeps) {}

  /** The room's first page is in: offer older pages if there are any, and read one at once if the view is not full. */
  started(): void {
    this.#setOlder(this.deps.chat.roomState(this.deps.roomId)?.hasOlder ? 'more' : 'none');
    this.fillView();
  }

  async loadOlder(): Promise<void> {
    if (this.#older !== 'more' || this.deps.isClosed()) return;
    this.#setOlder('loading');
    try {
      const page = await this.deps.chat.loadOlder(this.deps.roomId, HISTORY_DEFAULT_LIMIT);
      if (this.deps.isClosed()) return;
      this.deps.timeline.add(page.messages);
      this.#setOlder(page.hasMore ? 'more' : 'none');
      this.deps.render('keep');
      this.fillView();
    } catch (err) {
      this.#setOlder('more');
      this.deps.onError(err);
    }
  }

  /** A short history does not fill the view, so no scroll could ask for more: ask now. */
  fillView(): void {
    if (this.#older === 'more' && this.deps.view.underfilled) void this.loadOlder();
  }

  #setOlder(state: OlderState): void {
    this.#older = state;
    this.deps.view.setOlder(state);
  }
}
