/** Longest delay Node's timers take (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Sockets wait for their expiry in groups this wide, so distinct expiry seconds do not each cost a group. */
const GROUP_SECONDS = 60;

/** What the scheduler needs of a socket. */
export interface ExpiringSocket {
  data: { tokenExpiresAt: number };
}

/**
 * Ends sockets when their token expires, to the second, with one timer
 * for all of them rather than one per socket: sockets wait in groups by
 * expiry minute, and the timer is set for the earliest expiry.
 */
export class TokenExpiry<S extends ExpiringSocket = ExpiringSocket> {
  private readonly groups = new Map<number, Set<S>>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  /** @param expire ends a socket whose token expired */
  constructor(private readonly expire: (socket: S) => void) {}

  /** Ends `socket` at its `data.tokenExpiresAt` (seconds), or at once if that has passed. */
  watch(socket: S): void {
    const atMs = socket.data.tokenExpiresAt * 1000;
    if (atMs <= Date.now()) {
      this.expire(socket);
      return;
    }
    const key = Math.floor(socket.data.tokenExpiresAt / GROUP_SECONDS);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new Set()));
    group.add(socket);
    if (atMs < this.timerAt) this.arm(atMs);
  }

  /** A socket that disconnected before its token expired. */
  forget(socket: S): void {
    const key = Math.floor(socket.data.tokenExpiresAt / GROUP_SECONDS);
    const group = this.groups.get(key);
    if (!group) return;
    group.delete(socket);
    if (group.size === 0) this.groups.delete(key);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private arm(atMs: number): void {
    clearTimeout(this.timer);
    this.timerAt = atMs;
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(0, atMs - Date.now()), MAX_TIMER_MS));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [key, group] of this.groups) {
      const startMs = key * GROUP_SECONDS * 1000;
      if (startMs > now) {
        // Not yet due: a later pass looks inside.
        next = Math.min(next, startMs);
        continue;
      }
      for (const socket of group) {
        const atMs = socket.data.tokenExpiresAt * 1000;
        if (atMs > now) next = Math.min(next, atMs);
        else {
          group.delete(socket);
          this.expire(socket);
        }
      }
      if (group.size === 0) this.groups.delete(key);
    }
    if (next < Infinity) this.arm(next);
  }
}
