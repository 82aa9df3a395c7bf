import { AppError } from '@chat/contract';
import { safeError, type Logger } from '@chat/runtime';
import { dataErrorCode, type AppendResult, type MessageDraft } from '@chat/store';

export interface CommitQueueOptions {
  /**
   * Decides, once for the sends that arrived together and before they are stored, which may
   * go (a rate limit): undefined lets a send go, an AppError answers it. Throwing fails all
   * of them. Calls overlap; their answers are taken in the order they were asked.
   * @default every send goes
   */
  admit?: (drafts: MessageDraft[]) => Promise<(AppError | undefined)[]>;
  /** Stores a batch in one transaction; results in the drafts' order (@chat/store's appendMessages). */
  store: (drafts: MessageDraft[]) => Promise<AppendResult[]>;
  /**
   * Runs once for each stored group of sends, with their results in order, before any
   * of them is answered and before the next batch of the same room can complete: the
   * place to deliver and publish, so one replica hands out each room's messages in seq order.
   */
  onCommitted: (drafts: MessageDraft[], results: AppendResult[]) => void;
  logger: Logger;
  /**
   * Longest a send waits for company before it is admitted (and then stored). It waits only while
   * sends come less than three times this apart (on average); a send after a quiet spell goes at the end
   * of the event loop's turn, with whatever arrived in that turn, and no timer.
   */
  maxDelayMs: number;
  maxBatchSize: number;
  /** Batches written at once; batches never share a room, so each room's order holds. */
  maxConcurrentBatches: number;
}

interface Entry {
  draft: MessageDraft;
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit in two stages. Admission: sends arriving within `maxDelayMs` are
 * put to `admit` together (one rate-limit call), answered in the order they
 * arrived. Storing: the admitted sends of rooms no batch is writing are stored
 * together, one transaction per batch. A room's sends are admitted while its
 * previous batch is being written, so its next batch stores the moment that one
 * is done: the room's row lock in PostgreSQL does not wait for the rate limit's
 * round trip. A send resolves only after its batch committed. A batch the
 * database refuses for one draft's data is written again one draft at a time,
 * so only that send fails; an outage fails the whole batch.
 */
export class CommitQueue {
  /** Sends waiting to be admitted. */
  private arriving: Entry[] = [];
  /** Sends being admitted. */
  private admitting = 0;
  /** Settles when every admission asked so far has been answered (they are answered in order). */
  private admissions: Promise<void> = Promise.resolve();
  /** Admitted sends waiting for a batch. */
  private pending: Entry[] = [];
  private readonly busyRooms = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Sends in the batches being written. */
  private writing = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** When the last send arrived (ms, monotonic), and the recent gap between sends (a moving average). */
  private lastArrival = Number.NEGATIVE_INFINITY;
  private recentGapMs = Number.POSITIVE_INFINITY;
  private closing: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly options: CommitQueueOptions) {
    this.log = options.logger.child({ module: 'commit-queue' });
  }

  submit(draft: MessageDraft): Promise<AppendResult> {
    if (this.closing) return Promise.reject(new AppError('unavailable', 'this gateway is shutting down; send again'));
    return new Promise((resolve, reject) => {
      this.arriving.push({ draft, resolve, reject });
      const { maxDelayMs, maxBatchSize } = this.options;
      const recentGapMs = this.noteArrival();
      if (this.arriving.length >= maxBatchSize || maxDelayMs === 0) this.admitArrived();
      else if (this.timer === undefined && this.immediate === undefined) {
        // Company is worth waiting for when sends come less than three windows apart (a third of a
        // send or more is expected in the window: measured, the point where sharing the rate-limit
        // call and the commit outweighs the timer's wake-up); slower than that, the wait would cost
        // the wake-up and the delay and most likely bring nobody.
        if (recentGapMs < 3 * maxDelayMs) this.timer = setTimeout(() => this.admitArrived(), maxDelayMs);
        else this.immediate = setImmediate(() => this.admitArrived());
      }
    });
  }

  /** Takes in a send's arrival; returns the recent gap between sends, in ms. */
  private noteArrival(): number {
    const now = performance.now();
    // A quiet spell counts as six windows at most, so the average follows a burst after it within a few sends.
    const gap = Math.min(now - this.lastArrival, 6 * this.options.maxDelayMs);
    this.lastArrival = now;
    this.recentGapMs = this.recentGapMs === Number.POSITIVE_INFINITY ? gap : this.recentGapMs * 0.75 + gap * 0.25;
    return this.recentGapMs;
  }

  /** Sends accepted and not yet answered: being admitted, waiting for a batch, or in one being written. */
  get size(): number {
    return this.arriving.length + this.admitting + this.pending.length + this.writing;
  }

  /** Refuses new sends and waits until every accepted one is committed (or failed). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.arriving.length > 0 || this.admitting > 0 || this.pending.length > 0 || this.inFlight.size > 0) {
        this.admitArrived();
        this.dispatch();
        await Promise.race(this.admitting > 0 ? [this.admissions, ...this.inFlight] : this.inFlight);
      }
    })();
    return this.closing;
  }

  /** Puts the sends that arrived to `admit` in one call; its answer queues them for a batch, after every earlier admission's. */
  private admitArrived(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    if (this.arriving.length === 0) return;
    const group = this.arriving;
    this.arriving = [];
    this.admitting += group.length;
    const { admit } = this.options;
    // Asked now (admissions overlap), its outcome caught at once so a failure is never left unhandled.
    const outcome = (async () => (admit ? admit(group.map((e) => e.draft)) : []))().then(
      (verdicts) => ({ verdicts }),
      (err: unknown) => ({ err }),
    );
    this.admissions = this.admissions
      .then(() => outcome)
      .then((answer) => {
        this.admitting -= group.length;
        if ('err' in answer) {
          for (const entry of group) entry.reject(answer.err);
          return;
        }
        group.forEach((entry, i) => {
          const refusal = answer.verdicts[i];
          if (refusal) entry.resolve({ ok: false, error: refusal });
          else this.pending.push(entry);
        });
        this.dispatch();
      })
      // Never rejected: a later admission must not wait on a broken chain.
      .catch((err: unknown) => this.log.error({ err: safeError(err) }, 'admitting sends failed'));
  }

  private dispatch(): void {
    while (this.inFlight.size < this.options.maxConcurrentBatches) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      const rooms = new Set(batch.map((e) => e.draft.roomId));
      for (const room of rooms) this.busyRooms.add(room);
      this.writing += batch.length;
      const running = this.write(batch).finally(() => {
        this.writing -= batch.length;
        for (const room of rooms) this.busyRooms.delete(room);
        this.inFlight.delete(running);
        if (this.pending.length > 0) this.dispatch();
      });
      this.inFlight.add(running);
    }
  }

  /** The oldest admitted sends of rooms no batch is writing, keeping each room's order. */
  private takeBatch(): Entry[] {
    const batch: Entry[] = [];
    const rest: Entry[] = [];
    const skipped = new Set<string>();
    for (const entry of this.pending) {
      const room = entry.draft.roomId;
      // Once a room's send is left behind, its later sends stay behind too.
      if (batch.length < this.options.maxBatchSize && !this.busyRooms.has(room) && !skipped.has(room)) batch.push(entry);
      else {
        skipped.add(room);
        rest.push(entry);
      }
    }
    this.pending = rest;
    return batch;
  }

  private async write(batch: Entry[]): Promise<void> {
    let results: AppendResult[];
    try {
      results = await this.options.store(batch.map((e) => e.draft));
    } catch (err) {
      if (dataErrorCode(err) === undefined) {
        for (const entry of batch) entry.reject(err);
      } else if (batch.length === 1) {
        this.settle(batch, [this.refusal(batch[0]!.draft, err)]);
      } else {
        await this.writeOneByOne(batch, err);
      }
      return;
    }
    this.settle(batch, results);
  }

  /** One draft per transaction, in order (the batch's rooms stay busy meanwhile, so each room's order holds). */
  private async writeOneByOne(batch: Entry[], cause: unknown): Promise<void> {
    this.log.warn({ err: safeError(cause), drafts: batch.length }, 'the database refused a batch; storing its sends one at a time');
    for (const [i, entry] of batch.entries()) {
      let results: AppendResult[];
      try {
        results = await this.options.store([entry.draft]);
      } catch (err) {
        if (dataErrorCode(err) === undefined) {
          // An outage now: the rest would fail the same way.
          for (const rest of batch.slice(i)) rest.reject(err);
          return;
        }
        results = [this.refusal(entry.draft, err)];
      }
      this.settle([entry], results);
    }
  }

  /** Class 22 (a value PostgreSQL cannot store) is the sender's to fix; class 23 (a constraint) is ours. */
  private refusal(draft: MessageDraft, err: unknown): AppendResult {
    const code = dataErrorCode(err);
    this.log.warn({ err: safeError(err), roomId: draft.roomId }, 'the database refused a send');
    const error = code?.startsWith('22')
      ? new AppError('validation', 'the message holds something that cannot be stored', { cause: err })
      : new AppError('internal', 'message not stored', { cause: err });
    return { ok: false, error };
  }

  private settle(batch: Entry[], stored: AppendResult[]): void {
    const results = batch.map((_, i) => stored[i] ?? { ok: false as const, error: new AppError('internal', 'message not stored') });
    try {
      this.options.onCommitted(
        batch.map((e) => e.draft),
        results,
      );
    } catch (err) {
      this.log.error({ err: safeError(err), drafts: batch.length }, 'after-commit step failed');
    }
    batch.forEach((entry, i) => entry.resolve(results[i]!));
  }
}
