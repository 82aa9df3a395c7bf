import { userRoom } from '@chat/runtime';
import type { GatewayServer } from '../socket/types.js';

/** The longest a user's other devices wait to hear that a cursor moved. */
const DEFAULT_DELAY_MS = 250;

interface Waiting {
  userId: string;
  roomId: string;
  seq: number;
  /** The socket that read last: it knows already. */
  from: string;
  timer: NodeJS.Timeout;
}

/**
 * Tells a user's other sockets, on every replica, that their read cursor of a room moved — at most
 * once per `delayMs` per user and room, with the highest seq: a client marking every message it
 * sees would otherwise cost a sharded publish per message.
 */
export class ReadBroadcast {
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly server: GatewayServer,
    private readonly delayMs = DEFAULT_DELAY_MS,
  ) {}

  moved(userId: string, roomId: string, seq: number, fromSocketId: string): void {
    const key = `${userId}|${roomId}`;
    const waiting = this.waiting.get(key);
    if (waiting) {
      if (seq > waiting.seq) Object.assign(waiting, { seq, from: fromSocketId });
      return;
    }
    const timer = setTimeout(() => this.send(key), this.delayMs);
    this.waiting.set(key, { userId, roomId, seq, from: fromSocketId, timer });
  }

  /** Sends what is waiting now (the gateway stops). */
  flush(): void {
    for (const key of [...this.waiting.keys()]) this.send(key);
  }

  private send(key: string): void {
    const due = this.waiting.get(key);
    if (!due) return;
    clearTimeout(due.timer);
    this.waiting.delete(key);
    this.server.to(userRoom(due.userId)).except(due.from).emit('room:read', { roomId: due.roomId, readSeq: due.seq });
  }
}
