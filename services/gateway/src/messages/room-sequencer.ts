import { safeError, type Logger } from '@chat/runtime';

/** What the sequencer reads of a message. */
export interface Sequenced {
  roomId: string;
  seq: number;
}

export interface RoomSequencerOptions<M extends Sequenced> {
  /** Hands a message to this replica's sockets in the room. */
  deliver: (message: M) => void;
  /**
   * The room's last stored seq, read after its first local socket joined (and after its
   * channel is subscribed: whatever is committed later arrives on the channel).
   */
  lastSeq: (roomId: string) => Promise<number>;
  /** Stored messages with `after < seq < before`, ascending (at most a page). */
  fetch: (roomId: string, after: number, before: number) => Promise<M[]>;
  /** How long a missing seq is waited for on the wire before it is read from PostgreSQL. */
  gapTimeoutMs: number;
  /** A room is no longer tracked (its last local socket left, or tracking it failed): stop reading its channel. */
  onForget?: (roomId: string) => void;
  logger: Logger;
}

/** Rooms whose last seq a resync reads at once. */
const RESYNC_CONCURRENCY = 16;

interface RoomState<M extends Sequenced> {
  /** The seq to deliver next; undefined until the room's last seq is known. */
  next: number | undefined;
  /** Resolves to the last seq delivered before tracking began. */
  ready: Promise<number>;
  /** Messages that arrived ahead of `next`, by seq. */
  ahead: Map<number, M>;
  /** The highest seq known to be stored (a resync read it): what lies between `next` and it is read from PostgreSQL. */
  known: number;
  gapTimer: NodeJS.Timeout | undefined;
  filling: boolean;
}

/**
 * Delivers each room's messages to this replica's sockets in `seq` order, once.
 *
 * Messages are committed on any replica (or by the API and the bot workers) and
 * reach this one over Redis; two committed moments apart on different replicas
 * can arrive swapped. A message ahead of the next seq waits; if the missing one
 * has not come within `gapTimeoutMs` (its publisher died between commit and
 * publish, or pub/sub dropped it) it is read from PostgreSQL, where seq has no
 * gaps. A message at or below what was delivered is a copy and is dropped.
 * Only rooms with a socket on this replica are tracked.
 */
export class RoomSequencer<M extends Sequenced> {
  private readonly rooms = new Map<string, RoomState<M>>();
  private readonly log: Logger;

  constructor(private readonly options: RoomSequencerOptions<M>) {
    this.log = options.logger.child({ module: 'sequencer' });
  }

  /**
   * Call as soon as a socket joined the room, with nothing awaited in between.
   * Resolves to the last seq delivered to the room's sockets before it joined:
   * the socket receives every later message, in order.
   */
  track(roomId: string): Promise<number> {
    const known = this.rooms.get(roomId);
    if (known) return known.next === undefined ? known.ready : Promise.resolve(known.next - 1);
    const state: RoomState<M> = { next: undefined, ready: Promise.resolve(0), ahead: new Map(), known: 0, gapTimer: undefined, filling: false };
    state.ready = this.options.lastSeq(roomId).then(
      (last) => {
        if (this.rooms.get(roomId) === state) {
          state.next = last + 1;
          this.drain(roomId, state);
        }
        return last;
      },
      (err: unknown) => {
        if (this.rooms.get(roomId) === state) this.forget(roomId);
        throw err;
      },
    );
    this.rooms.set(roomId, state);
    return state.ready;
  }

  /** A stored message, from this replica's commits or from the channel. */
  push(message: M): void {
    const state = this.rooms.get(message.roomId);
    if (!state) return;
    if (state.next === undefined) {
      state.ahead.set(message.seq, message);
      return;
    }
    if (message.seq < state.next) return;
    if (message.seq === state.next && state.ahead.size === 0) {
      // The usual case: the next one, nothing waiting.
      state.next += 1;
      this.options.deliver(message);
      return;
    }
    state.ahead.set(message.seq, message);
    this.drain(message.roomId, state);
  }

  /** The last seq delivered to the room's sockets here, if the room is tracked and its start known. */
  delivered(roomId: string): number | undefined {
    const next = this.rooms.get(roomId)?.next;
    return next === undefined ? undefined : next - 1;
  }

  /** The room's last local socket left. */
  forget(roomId: string): void {
    const state = this.rooms.get(roomId);
    if (!state) return;
    clearTimeout(state.gapTimer);
    this.rooms.delete(roomId);
    this.options.onForget?.(roomId);
  }

  /**
   * After the channels were lost for a while (Redis restarted, a cluster failed over),
   * reads each tracked room's last stored seq and delivers, from PostgreSQL, what was
   * committed meanwhile and never arrived (`storedLastSeq` reads without subscribing).
   */
  async resync(storedLastSeq: (roomId: string) => Promise<number>): Promise<void> {
    const rooms = [...this.rooms];
    for (let i = 0; i < rooms.length; i += RESYNC_CONCURRENCY) {
      await Promise.all(
        rooms.slice(i, i + RESYNC_CONCURRENCY).map(async ([roomId, state]) => {
          try {
            const last = await storedLastSeq(roomId);
            if (this.rooms.get(roomId) !== state || state.next === undefined || last < state.next) return;
            state.known = Math.max(state.known, last);
            if (!state.filling) {
              clearTimeout(state.gapTimer);
              await this.fill(roomId, state);
            }
          } catch (err) {
            this.log.warn({ roomId, err: safeError(err) }, 'could not resync a room; its next message shows the gap');
          }
        }),
      );
    }
  }

  stop(): void {
    for (const roomId of [...this.rooms.keys()]) this.forget(roomId);
  }

  /** Rooms tracked, and messages waiting for an earlier seq (for tests and metrics). */
  get stats(): { rooms: number; waiting: number } {
    let waiting = 0;
    for (const state of this.rooms.values()) waiting += state.ahead.size;
    return { rooms: this.rooms.size, waiting };
  }

  private drain(roomId: string, state: RoomState<M>): void {
    if (state.next === undefined) return;
    for (const seq of state.ahead.keys()) if (seq < state.next) state.ahead.delete(seq);
    let message = state.ahead.get(state.next);
    while (message) {
      state.ahead.delete(state.next);
      state.next += 1;
      this.options.deliver(message);
      message = state.ahead.get(state.next);
    }
    if (state.ahead.size === 0) {
      clearTimeout(state.gapTimer);
      state.gapTimer = undefined;
    } else if (!state.gapTimer && !state.filling) {
      state.gapTimer = setTimeout(() => void this.fill(roomId, state), this.options.gapTimeoutMs);
      state.gapTimer.unref();
    }
  }

  /** Reads the missing seqs from PostgreSQL; what still cannot be found is skipped, so delivery never stalls. */
  private async fill(roomId: string, state: RoomState<M>): Promise<void> {
    state.gapTimer = undefined;
    state.filling = true;
    try {
      while (this.rooms.get(roomId) === state && state.next !== undefined && (state.ahead.size > 0 || state.known >= state.next)) {
        const from = state.next;
        const until = state.ahead.size > 0 ? Math.min(...state.ahead.keys()) : state.known + 1;
        if (until <= from) break;
        const read = await this.options.fetch(roomId, from - 1, until);
        if (this.rooms.get(roomId) !== state || state.next === undefined) return;
        // What arrived live while the read was under way was delivered already: never again.
        const found = read.filter((m) => m.seq >= state.next!);
        if (found.length === 0 && state.next > from) continue;
        const missing = found.length === 0 || found[0]!.seq !== state.next;
        if (missing) {
          this.log.warn({ roomId, from, until }, 'stored messages not found; delivering what came after them');
          state.next = Math.max(state.next, found[0]?.seq ?? until);
        } else this.log.debug({ roomId, from, until, found: found.length }, 'missing messages read from the database');
        for (const m of found) state.ahead.set(m.seq, m);
        this.drain(roomId, state);
      }
    } catch (err) {
      this.log.warn({ roomId, err: safeError(err) }, 'could not read missing messages; trying again');
    } finally {
      state.filling = false;
      if (this.rooms.get(roomId) === state) this.drain(roomId, state);
    }
  }
}
