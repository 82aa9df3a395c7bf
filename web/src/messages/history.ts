import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT } from '@chat/contract';
import type { ApiClient } from '../api/client.js';
import type { Timeline } from './timeline.js';
import type { OlderState, ScrollIntent, TimelineView } from './timeline.view.js';

export interface HistoryDeps {
  api: ApiClient;
  roomId: string;
  timeline: Timeline;
  view: TimelineView;
  render(intent: ScrollIntent): void;
  isClosed(): boolean;
  onError(err: unknown): void;
}

const GAP_FILL_DELAY_MS = 1_000;

/**
 * A room's history over REST: the latest page, older pages on scroll up
 * (`before`), and forward pages (`after`) after a full `missed` or to close a
 * hole that live delivery left.
 */
export class History {
  #older: OlderState = 'none';
  #gapTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly deps: HistoryDeps) {}

  async loadLatest(): Promise<void> {
    const { api, roomId, timeline } = this.deps;
    const latest = await api.history(roomId, { limit: HISTORY_DEFAULT_LIMIT });
    if (this.deps.isClosed()) return;
    timeline.add(latest);
    this.#setOlder(latest.length === HISTORY_DEFAULT_LIMIT && (timeline.firstSeq ?? 1) > 1 ? 'more' : 'none');
    this.deps.render('bottom');
  }

  async loadOlder(): Promise<void> {
    const { api, roomId, timeline } = this.deps;
    const first = timeline.firstSeq;
    if (this.#older !== 'more' || this.deps.isClosed() || first === undefined) return;
    this.#setOlder('loading');
    try {
      const page = await api.history(roomId, { before: first, limit: HISTORY_DEFAULT_LIMIT });
      if (this.deps.isClosed()) return;
      timeline.add(page);
      this.#setOlder(page.length === HISTORY_DEFAULT_LIMIT && (page[0]?.seq ?? 1) > 1 ? 'more' : 'none');
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

  /** Pages forward from `seq` until the end. */
  async fillAfter(seq: number): Promise<void> {
    let after = seq;
    for (;;) {
      const page = await this.deps.api.history(this.deps.roomId, { after, limit: HISTORY_MAX_LIMIT });
      if (this.deps.isClosed()) return;
      this.deps.timeline.add(page);
      this.deps.render('auto');
      const last = page.at(-1);
      if (page.length < HISTORY_MAX_LIMIT || !last) return;
      after = last.seq;
    }
  }

  /** A live message skipped a seq: if the hole is still there in a moment, fetch it. */
  checkGap(): void {
    if (this.deps.timeline.gapAfter() === undefined) return;
    this.#gapTimer ??= setTimeout(() => {
      this.#gapTimer = undefined;
      const gap = this.deps.timeline.gapAfter();
      if (gap !== undefined && !this.deps.isClosed()) this.fillAfter(gap).catch((err: unknown) => this.deps.onError(err));
    }, GAP_FILL_DELAY_MS);
  }

  close(): void {
    clearTimeout(this.#gapTimer);
  }

  #setOlder(state: OlderState): void {
    this.#older = state;
    this.deps.view.setOlder(state);
  }
}
