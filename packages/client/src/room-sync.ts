import { HISTORY_MAX_LIMIT, MISSED_MAX, type HistoryResponse, type Message, type RoomJoinResult } from '@chat/contract';
import { toChatError, type ChatError } from './errors.js';
import { RoomFeed } from './room-feed.js';

/**
 * How a joined room keeps up, as `ChatClient` emits it (`room`). synced: joined on this
 * connection and everything up to the live edge delivered. retrying: a join or a catch-up
 * page failed for a passing reason, tried again in `retryInMs` (or at the next connect).
 * refused: the server refused the join for good (not a member): the room is dropped.
 */
export type RoomSyncEvent =
  | { roomId: string; state: 'synced' }
  | { roomId: string; state: 'retrying'; stage: 'join' | 'catch-up'; error: ChatError; retryInMs: number }
  | { roomId: string; state: 'refused'; error: ChatError };

export interface HistoryPageQuery {
  limit: number;
  before?: number;
  after?: number;
}

export interface RoomSyncDeps {
  roomId: string;
  /** `room:join`; rejects with a ChatError (`network` when not connected or unanswered). */
  join(since: number | undefined): Promise<RoomJoinResult>;
  /** A REST history page of the room. */
  history(query: HistoryPageQuery): Promise<HistoryResponse>;
  connected(): boolean;
  /** The room's next message, in seq order, each once. */
  deliver(message: Message): void;
  /** Joined on this connection, `missed` delivered (REST paging may follow): sends may go out. */
  joined(result: RoomJoinResult): void;
  report(event: RoomSyncEvent): void;
}

export interface RoomSyncOptions {
  /** First wait before trying again after a join or catch-up page failed. @default 1000 */
  retryMinMs?: number;
  /** Longest wait between tries (each failure doubles it). @default 30000 */
  retryMaxMs?: number;
  /** How long live delivery may hold messages behind a missing seq before it is read over REST. @default 1000 */
  gapWaitMs?: number;
}

/** Refusals a later join would get as well: the room is dropped instead of joined again. */
const PERMANENT = new Set<ChatError['code']>(['forbidden', 'not_found', 'validation', 'unauthorized', 'closed']);

/**
 * One joined room of a ChatClient: its feed, and keeping it joined. `run` joins with `since`
 * = the last seq held without a gap (on join and at every connect), delivers `missed`, pages
 * on over REST while there is more, and calls `joined` so pending sends go out. A join that
 * goes unanswered or is refused for a passing reason while the connection stays up — and a
 * failed catch-up page — is tried again after a growing wait, so a room is never left
 * silently un-joined; a reconnect tries at once. It also reads older pages for scroll-back.
 */
export class RoomSync {
  readonly feed: RoomFeed;
  private isLive = false;
  private closed = false;
  private ready = false;
  private starting: Promise<void> | undefined;
  private running: Promise<RoomJoinResult> | undefined;
  private again = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private delay: number;
  private readonly min: number;
  private readonly max: number;
  private readonly gapWaitMs: number;
  private oldestSeq: number | undefined;
  /** Whether messages older than `oldestSeq` exist; unknown until a page says (or seq 1 is seen). */
  private olderExist: boolean | undefined;
  private olderLoading: Promise<HistoryResponse> | undefined;

  constructor(
    private readonly deps: RoomSyncDeps,
    options: RoomSyncOptions = {},
  ) {
    this.min = options.retryMinMs ?? 1_000;
    this.max = options.retryMaxMs ?? 30_000;
    this.gapWaitMs = options.gapWaitMs ?? 1_000;
    this.delay = this.min;
    this.feed = new RoomFeed((message) => {
      if (this.oldestSeq === undefined) this.oldestSeq = message.seq;
      this.deps.deliver(message);
    });
  }

  /** Joined on the current connection: its sends may go out. */
  get live(): boolean {
    return this.isLive && !this.closed;
  }

  /** The first page is in (or none was asked for): connects may join it. */
  get started(): boolean {
    return this.ready;
  }

  /** The lowest seq held (older pages go below it). */
  get oldest(): number | undefined {
    return this.oldestSeq;
  }

  get hasOlder(): boolean {
    return this.olderExist ?? (this.oldestSeq !== undefined && this.oldestSeq > 1);
  }

  /** Reads the room's latest `initial` messages over REST and delivers them, once however often called. */
  start(initial: number): Promise<void> {
    this.starting ??= (async () => {
      if (initial > 0) {
        const page = await this.deps.history({ limit: Math.min(initial, HISTORY_MAX_LIMIT) });
        if (this.closed) return;
        this.olderExist = page.hasMore;
        // An empty room starts at seq 0, so its first message (seq 1) is delivered at once.
        if (page.messages.length === 0) this.feed.startAfter(0);
        for (const message of page.messages) this.feed.add(message);
      }
      this.ready = true;
    })();
    return this.starting;
  }

  /**
   * Joins (again) now and resolves with the join's answer; rejects with the first attempt's
   * error (a passing one is tried again by itself). A call while a join runs makes it run
   * once more afterwards: that one may have gone out on a connection that is gone.
   */
  run(): Promise<RoomJoinResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const running = (async () => {
      for (;;) {
        this.again = false;
        this.cancelRetry();
        try {
          const result = await this.once();
          if (!this.again || this.closed) return result;
        } catch (err) {
          if (!this.again || this.closed || !this.deps.connected()) throw err;
        }
      }
    })().finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }

  /** A live message (or a send's acknowledged one): delivered in order; a gap that lasts is read over REST. */
  add(message: Message): void {
    if (this.closed) return;
    this.feed.add(message);
    if (this.feed.waiting === 0 || this.gapTimer !== undefined) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (!this.live || this.feed.waiting === 0) return;
      this.catchUp(false).catch((err: unknown) => this.retry('catch-up', toChatError(err)));
    }, this.gapWaitMs);
  }

  /**
   * A send of this room went unanswered on a live connection: the server may have lost track
   * of this socket. Sends pause, and after the current wait the room is joined again (its
   * `missed` shows what was stored); then they go out again.
   */
  rejoinSoon(): void {
    this.isLive = false;
    this.schedule();
  }

  /** Reads the page of up to `limit` messages just older than the oldest held; empty when there are none. */
  loadOlder(limit: number): Promise<HistoryResponse> {
    this.olderLoading ??= (async () => {
      const before = this.oldestSeq;
      if (before === undefined || !this.hasOlder) return { messages: [], hasMore: false };
      const page = await this.deps.history({ before, limit });
      const first = page.messages[0];
      if (!this.closed && first && first.seq < before) this.oldestSeq = first.seq;
      if (!this.closed) this.olderExist = page.hasMore;
      return page;
    })().finally(() => (this.olderLoading = undefined));
    return this.olderLoading;
  }

  /** The connection dropped: not joined any more, nothing scheduled (the reconnect joins). */
  disconnected(): void {
    this.isLive = false;
    this.cancelRetry();
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }

  /** The room was left: no more joins, pages or deliveries. */
  close(): void {
    this.closed = true;
    this.disconnected();
  }

  private async once(): Promise<RoomJoinResult> {
    this.isLive = false;
    let result: RoomJoinResult;
    try {
      result = await this.deps.join(this.feed.contiguous);
    } catch (err) {
      const error = toChatError(err);
      if (this.closed) throw error;
      if (PERMANENT.has(error.code)) {
        this.close();
        this.deps.report({ roomId: this.deps.roomId, state: 'refused', error });
      } else this.retry('join', error);
      throw error;
    }
    if (this.closed) return result;
    for (const message of result.missed) this.feed.add(message);
    this.isLive = true;
    this.deps.joined(result);
    // `missed` holds at most MISSED_MAX: page the rest. If a page fails, the sends still went
    // out above, and the retried join pages on from what arrived.
    try {
      await this.catchUp(result.missed.length >= MISSED_MAX);
    } catch (err) {
      this.retry('catch-up', toChatError(err));
      return result;
    }
    if (this.closed || !this.isLive) return result;
    this.delay = this.min;
    this.deps.report({ roomId: this.deps.roomId, state: 'synced' });
    return result;
  }

  /** Pages forward over REST from the last seq held without a gap, while there is more (or a gap remains). */
  private async catchUp(full: boolean): Promise<void> {
    let more = full || this.feed.waiting > 0;
    while (more && !this.closed) {
      const after = this.feed.contiguous ?? 0;
      const page = await this.deps.history({ after, limit: HISTORY_MAX_LIMIT });
      if (this.closed) return;
      for (const message of page.messages) this.feed.add(message);
      // Stop when a page brings nothing new, so a seq the server lacks cannot loop this.
      more = (this.feed.contiguous ?? 0) > after && (page.hasMore || this.feed.waiting > 0);
    }
  }

  private retry(stage: 'join' | 'catch-up', error: ChatError): void {
    const wait = this.schedule(error.retryAfterMs);
    if (wait !== undefined) this.deps.report({ roomId: this.deps.roomId, state: 'retrying', stage, error, retryInMs: wait });
  }

  /** Joins again after the current wait (which then doubles); returns the wait, or undefined when nothing was scheduled. */
  private schedule(atLeastMs = 0): number | undefined {
    // Offline nothing is scheduled: the reconnect joins at once. One try at a time.
    if (this.closed || !this.deps.connected() || this.retryTimer !== undefined) return undefined;
    const wait = Math.max(this.delay, atLeastMs);
    this.delay = Math.min(this.delay * 2, this.max);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      // Failures are reported (and tried again) inside; nobody awaits this one.
      this.run().catch(() => undefined);
    }, wait);
    return wait;
  }

  private cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
