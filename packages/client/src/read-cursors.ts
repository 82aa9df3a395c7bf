/** Sends `room:read` for a room and resolves with the cursor the server answered. */
export type SendRead = (roomId: string, seq: number) => Promise<number>;

interface Waiter {
  seq: number;
  resolve(readSeq: number): void;
  reject(err: unknown): void;
}

interface Cursor {
  /** The highest cursor known: answered, told by another device, or moved by our own send. */
  readSeq: number;
  sending: boolean;
  waiters: Waiter[];
}

/**
 * This client's read cursor per room. A mark at or below the known cursor sends nothing; a
 * burst of marks while one is in flight becomes a single `room:read` of the highest seq when
 * the answer is in, so a UI may mark on every scroll.
 */
export class ReadCursors {
  private readonly cursors = new Map<string, Cursor>();

  constructor(private readonly send: SendRead) {}

  /** The cursor known for a room (0 when nothing is known). */
  get(roomId: string): number {
    return this.cursors.get(roomId)?.readSeq ?? 0;
  }

  /** The cursor moved elsewhere (another device, our own message): marks up to it need not go out. */
  observe(roomId: string, readSeq: number): void {
    const cursor = this.cursor(roomId);
    cursor.readSeq = Math.max(cursor.readSeq, readSeq);
  }

  /** Moves the cursor forward to `seq`; resolves with the cursor after it (never lower than before). */
  mark(roomId: string, seq: number): Promise<number> {
    const cursor = this.cursor(roomId);
    if (seq <= cursor.readSeq && !cursor.sending) return Promise.resolve(cursor.readSeq);
    return new Promise((resolve, reject) => {
      cursor.waiters.push({ seq, resolve, reject });
      if (!cursor.sending) void this.pump(roomId, cursor);
    });
  }

  private async pump(roomId: string, cursor: Cursor): Promise<void> {
    cursor.sending = true;
    // Each pass answers the marks made before it went out; marks made meanwhile wait for the next.
    while (cursor.waiters.length > 0) {
      const waiters = cursor.waiters.splice(0);
      const seq = Math.max(...waiters.map((w) => w.seq));
      if (seq <= cursor.readSeq) {
        for (const w of waiters) w.resolve(cursor.readSeq);
        continue;
      }
      try {
        const readSeq = await this.send(roomId, seq);
        cursor.readSeq = Math.max(cursor.readSeq, readSeq);
        for (const w of waiters) w.resolve(cursor.readSeq);
      } catch (err) {
        // Not moved: these marks fail (a later mark of the same seq goes out again); those made meanwhile still go.
        for (const w of waiters) w.reject(err);
      }
    }
    cursor.sending = false;
  }

  private cursor(roomId: string): Cursor {
    let cursor = this.cursors.get(roomId);
    if (!cursor) this.cursors.set(roomId, (cursor = { readSeq: 0, sending: false, waiters: [] }));
    return cursor;
  }
}
