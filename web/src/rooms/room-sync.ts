import { MISSED_MAX, type Ack, type RoomJoinResult } from '@chat/contract';
import { describe } from '../api/errors.js';
import { NotDelivered } from '../socket/connection.js';

/** Shown while a join is retried; cleared once the room is joined. */
export const JOIN_RETRY_NOTE = 'Could not join the room just now. Trying again…';
/** Shown while a catch-up page is retried; cleared once the room is caught up. */
export const CATCH_UP_RETRY_NOTE = 'Could not load the messages you missed. Trying again…';

export interface RoomSyncDeps {
  /** `room:join` with `since`; rejects with NotDelivered when offline or unanswered. */
  join(since: number): Promise<Ack<RoomJoinResult>>;
  /** The highest seq seen (`since` for the next join). */
  lastSeq(): number;
  /** A member, the room open and the socket connected: a join can be tried now. */
  canJoin(): boolean;
  isConnected(): boolean;
  isClosed(): boolean;
  /** The join was answered: take `missed`, `online` and the room. */
  onJoined(result: RoomJoinResult): void;
  /** Refused with forbidden or not_found: no longer a member (not awaited: it may open the room afresh). */
  onNotMember(): void;
  /**
   * REST pages after the join: from `fullAfter` (the last seq of a full `missed`) when
   * given, and across any hole the timeline still has.
   */
  catchUp(fullAfter: number | undefined): Promise<void>;
  /** Sends the pending messages (the room is joined); resolves to whether every one got an answer. */
  flush(): Promise<boolean>;
  /** A problem for the user, in words. */
  onError(text: string): void;
  /** The problem `text` shown earlier is over (take it away if it is still shown). */
  onErrorOver(text: string): void;
}

export interface RoomSyncOptions {
  /** First wait before trying again after a failed join or catch-up. @default 1000 */
  retryMinMs?: number;
  /** Longest wait between tries (the wait doubles each time). @default 30000 */
  retryMaxMs?: number;
}

/**
 * Keeps one room joined on the socket: `run` joins with `since` = the last seq
 * seen (on open and after every reconnect), catches up over REST, then sends what
 * is pending. A join that goes unanswered or is refused for a passing reason
 * (unavailable, internal) while the socket stays connected — and a catch-up page
 * that fails — is tried again after a growing wait, so the room is never left
 * silently un-joined; a reconnect tries at once.
 */
export class RoomSync {
  #joined = false;
  #running: Promise<void> | null = null;
  #again = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #delay: number;
  readonly #min: number;
  readonly #max: number;

  constructor(
    private readonly deps: RoomSyncDeps,
    options: RoomSyncOptions = {},
  ) {
    this.#min = options.retryMinMs ?? 1_000;
    this.#max = options.retryMaxMs ?? 30_000;
    this.#delay = this.#min;
  }

  /** Joined on the current connection: sends may go out. */
  get joined(): boolean {
    return this.#joined;
  }

  /** Joins (again) now. A call while one runs makes it run once more afterwards (that one may have been lost). */
  run(): Promise<void> {
    if (!this.deps.canJoin()) return Promise.resolve();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#once().catch((err: unknown) => {
          this.deps.onError(describe(err));
          this.retrySoon();
        });
      } while (this.#again && this.deps.canJoin());
    })().finally(() => (this.#running = null));
    return this.#running;
  }

  /**
   * Joins again after the current wait (which then doubles), unless a try is already
   * scheduled. While offline nothing is scheduled: the reconnect runs a join itself.
   */
  retrySoon(): void {
    if (this.#timer !== undefined || this.deps.isClosed() || !this.deps.isConnected()) return;
    const delay = this.#delay;
    this.#delay = Math.min(this.#delay * 2, this.#max);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.run();
    }, delay);
  }

  /** Forgets the join (the socket reconnected, or the room closed) and cancels any scheduled try. */
  reset(): void {
    this.#joined = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #once(): Promise<void> {
    this.#joined = false;
    let ack: Ack<RoomJoinResult>;
    try {
      ack = await this.deps.join(this.deps.lastSeq());
    } catch (err) {
      if (!(err instanceof NotDelivered)) throw err;
      // Offline: the next connect joins. Connected but unanswered: try again soon.
      if (this.deps.isConnected()) this.#retry(JOIN_RETRY_NOTE);
      return;
    }
    if (this.deps.isClosed()) return;
    if (!ack.ok) {
      if (ack.error.code === 'forbidden' || ack.error.code === 'not_found') return this.deps.onNotMember();
      // unavailable, internal, rate_limited: passing, so tried again.
      this.#retry(JOIN_RETRY_NOTE);
      return;
    }
    this.#joined = true;
    this.deps.onErrorOver(JOIN_RETRY_NOTE);
    this.deps.onJoined(ack);
    // `missed` holds the first MISSED_MAX after `since`: page the rest. If a page fails,
    // the pending sends still go out, and the retried join pages on from what arrived.
    const lastMissed = ack.missed.at(-1);
    let caughtUp = true;
    try {
      await this.deps.catchUp(ack.missed.length >= MISSED_MAX && lastMissed ? lastMissed.seq : undefined);
      this.deps.onErrorOver(CATCH_UP_RETRY_NOTE);
    } catch (err) {
      console.debug('catch-up page failed', err);
      caughtUp = false;
    }
    if (this.deps.isClosed()) return;
    const flushed = await this.deps.flush();
    if (!caughtUp) this.#retry(CATCH_UP_RETRY_NOTE);
    // Only a join that left nothing behind starts the next wait from the shortest again.
    else if (flushed) this.#delay = this.#min;
  }

  #retry(note: string): void {
    this.deps.onError(note);
    this.retrySoon();
  }
}
