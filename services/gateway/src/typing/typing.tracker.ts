import type { UserRef } from '@chat/contract';

export interface TypingTrackerOptions {
  /** How long a `typing: true` lasts without renewal. */
  ttlMs: number;
  /** A renewal is relayed again only after this long (it always resets the lapse timer). @default ttlMs / 5 */
  relayRenewalAfterMs?: number;
  /** Tells the room's others that `user` is typing or stopped. */
  broadcast: (roomId: string, user: UserRef, isTyping: boolean) => void;
}

/**
 * Per (socket, room) typing state: `true` is relayed and lapses to `false`
 * after `ttlMs` without renewal; leaving or disconnecting ends it too.
 */
export class TypingTracker {
  private readonly timers = new Map<string, Map<string, { user: UserRef; timer: NodeJS.Timeout; relayedAt: number }>>();

  constructor(private readonly options: TypingTrackerOptions) {}

  update(socketId: string, roomId: string, user: UserRef, isTyping: boolean): void {
    if (!isTyping) {
      this.stop(socketId, roomId);
      return;
    }
    let rooms = this.timers.get(socketId);
    if (!rooms) this.timers.set(socketId, (rooms = new Map()));
    const previous = rooms.get(roomId);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => this.stop(socketId, roomId), this.options.ttlMs);
    timer.unref();
    const now = Date.now();
    // A client renewing on every keystroke must not make each one a cluster-wide broadcast.
    const relay = !previous || now - previous.relayedAt >= (this.options.relayRenewalAfterMs ?? this.options.ttlMs / 5);
    rooms.set(roomId, { user, timer, relayedAt: relay ? now : previous.relayedAt });
    if (relay) this.options.broadcast(roomId, user, true);
  }

  /** Ends typing in a room (if it was on) and tells the others. */
  stop(socketId: string, roomId: string): void {
    const rooms = this.timers.get(socketId);
    const state = rooms?.get(roomId);
    if (!rooms || !state) return;
    clearTimeout(state.timer);
    rooms.delete(roomId);
    if (rooms.size === 0) this.timers.delete(socketId);
    this.options.broadcast(roomId, state.user, false);
  }

  stopAll(): void {
    for (const [socketId, rooms] of this.timers) for (const roomId of [...rooms.keys()]) this.stop(socketId, roomId);
  }
}
