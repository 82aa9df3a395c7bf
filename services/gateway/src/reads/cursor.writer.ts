import { safeError, type Logger } from '@chat/runtime';
import type { CursorWrite, ReadStore } from '@chat/store';

/**
 * Read cursors on their way to PostgreSQL, coalesced: a client may mark every message it sees, but
 * a user's cursor in a room is written at most once per interval, the highest seq winning, all
 * pending cursors of this replica in one statement. A failed write keeps its cursors for the next
 * one; `flush()` writes what is pending (the stop sequence calls it before the store closes).
 */
/** Cursors remembered at most (the oldest are forgotten and read again when needed). */
const MAX_KNOWN = 200_000;

export class CursorWriter {
  private pending = new Map<string, CursorWrite>();
  /** The highest cursor this replica knows per user and room (read, noted or written), so most reads need no query. */
  private readonly knownSeq = new Map<string, number>();
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(
    private readonly store: Pick<ReadStore, 'advance'>,
    logger: Logger,
    private readonly options: { intervalMs?: number; onWritten?: (cursors: number) => void } = {},
  ) {
    this.log = logger.child({ module: 'read-cursors' });
  }

  /** Cursors waiting to be written. */
  get size(): number {
    return this.pending.size;
  }

  /** The cursor waiting to be written for the user in the room, if any. */
  pendingSeq(roomId: string, userId: string): number | undefined {
    return this.pending.get(`${userId}|${roomId}`)?.seq;
  }

  /** The highest cursor of the user in the room this replica knows, if any. */
  known(roomId: string, userId: string): number | undefined {
    return this.knownSeq.get(`${userId}|${roomId}`);
  }

  /** Takes in a cursor read from PostgreSQL; returns the highest known now. */
  remember(roomId: string, userId: string, seq: number): number {
    const key = `${userId}|${roomId}`;
    const known = Math.max(seq, this.knownSeq.get(key) ?? 0, this.pending.get(key)?.seq ?? 0);
    this.knowSeq(key, known);
    return known;
  }

  /** Moves the user's cursor to `seq` at the next write (nothing when a seq as high is pending already). */
  note(roomId: string, userId: string, seq: number): void {
    const key = `${userId}|${roomId}`;
    const current = this.pending.get(key);
    if (current && current.seq >= seq) return;
    this.pending.set(key, { roomId, userId, seq });
    if (seq > (this.knownSeq.get(key) ?? 0)) this.knowSeq(key, seq);
    this.schedule();
  }

  /** Writes every pending cursor now; rejects (keeping them) if PostgreSQL cannot take them. */
  async flush(): Promise<void> {
    await this.writing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.writing = this.store.advance([...batch.values()]).then(
      () => this.options.onWritten?.(batch.size),
      (err: unknown) => {
        // Put them back under anything noted meanwhile (the higher seq wins) and try again later.
        for (const [key, write] of batch) {
          const newer = this.pending.get(key);
          if (!newer || newer.seq < write.seq) this.pending.set(key, write);
        }
        this.log.warn({ err: safeError(err), cursors: batch.size }, 'read cursors not written; retrying');
        this.schedule();
        throw err;
      },
    );
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next write, one interval from now, unless one is due already. */
  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => undefined);
    }, this.options.intervalMs ?? 1_000);
  }

  private knowSeq(key: string, seq: number): void {
    this.knownSeq.delete(key);
    if (this.knownSeq.size >= MAX_KNOWN) this.knownSeq.delete(this.knownSeq.keys().next().value!);
    this.knownSeq.set(key, seq);
  }
}
