import { AppError } from '@chat/contract';
import { safeError, type Logger } from '@chat/runtime';
import { dataErrorCode, type AppendResult, type MessageDraft } from '@chat/store';

export interface CommitQueueOptions {
  /**
   * Decides, once per batch and before it is stored, which sends may go (a rate limit):
   * undefined lets a send go, an AppError answers it. Throwing fails the whole batch.
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
  /** Longest a send waits for company before its batch is written. */
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
 * Group commit: sends arriving within `maxDelayMs` (or while a batch is being
 * written) are stored together, one transaction per batch. A send resolves only
 * after its batch committed. A batch the database refuses for one draft's data
 * is written again one draft at a time, so only that send fails; an outage
 * fails the whole batch.
 */
export class CommitQueue {
  private pending: Entry[] = [];
  private readonly busyRooms = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Sends in the batches being written. */
  private writing = 0;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly options: CommitQueueOptions) {
    this.log = options.logger.child({ module: 'commit-queue' });
  }

  submit(draft: MessageDraft): Promise<AppendResult> {
    if (this.closing) return Promise.reject(new AppError('unavailable', 'this gateway is shutting down; send again'));
    return new Promise((resolve, reject) => {
      this.pending.push({ draft, resolve, reject });
      if (this.pending.length >= this.options.maxBatchSize || this.options.maxDelayMs === 0) this.dispatch();
      else this.timer ??= setTimeout(() => this.dispatch(), this.options.maxDelayMs);
    });
  }

  /** Sends accepted and not yet answered: waiting for a batch, or in one being written. */
  get size(): number {
    return this.pending.length + this.writing;
  }

  /** Refuses new sends and waits until every accepted one is committed (or failed). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.pending.length > 0 || this.inFlight.size > 0) {
        this.dispatch();
        await Promise.race(this.inFlight);
      }
    })();
    return this.closing;
  }

  private dispatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
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

  /** The oldest sends of rooms no batch is writing, keeping each room's order. */
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

  private async write(all: Entry[]): Promise<void> {
    let verdicts: (AppError | undefined)[] = [];
    try {
      if (this.options.admit) verdicts = await this.options.admit(all.map((e) => e.draft));
    } catch (err) {
      for (const entry of all) entry.reject(err);
      return;
    }
    const batch = all.filter((entry, i) => {
      const refusal = verdicts[i];
      if (refusal) entry.resolve({ ok: false, error: refusal });
      return !refusal;
    });
    if (batch.length === 0) return;
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
