import type { Message } from '@chat/contract';
import { call, openSocket, replicaOf, type ChatSocket, type ConnectOptions } from '../../../services/gateway/test/support/client.js';

/**
 * A client as the contract asks clients to behave: it reconnects on its own
 * (through nginx, so to whichever replica is up), rejoins its room with `since`
 * = the last seq it holds without a gap, and keeps one message per seq.
 */
export class ResilientClient {
  readonly socket: ChatSocket;
  readonly seen = new Map<number, Message>();
  /** Messages whose send was acknowledged `ok`. */
  readonly acked: Message[] = [];
  /** Replica of each session that joined the room, in order. */
  readonly sessions: string[] = [];
  private sending = false;

  constructor(url: string, token: string, readonly roomId: string, options: ConnectOptions = {}) {
    this.socket = openSocket(url, token, { reconnection: true, reconnectionDelay: 250, reconnectionDelayMax: 1_000, ...options });
    this.socket.on('message', (m) => this.record(m));
    this.socket.on('connect', () => void this.rejoin());
  }

  /** The highest seq up to which nothing is missing (what `since` should be). */
  contiguousSeq(): number {
    let seq = 0;
    while (this.seen.has(seq + 1)) seq += 1;
    return seq;
  }

  /** Resolves once `count` sessions have joined the room. */
  async joined(count: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sessions.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.sessions.length} of ${count} sessions joined`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends one message after another while connected, until `stop()`; returns how many sends failed. */
  async sendContinuously(prefix: string, everyMs = 40): Promise<number> {
    this.sending = true;
    let failures = 0;
    for (let i = 0; this.sending; i++) {
      if (!this.socket.connected) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      try {
        const ack = await call(this.socket, 'message:send', { roomId: this.roomId, content: `${prefix} ${i}`, clientId: `${prefix}-${i}` }, 3_000);
        if (ack.ok && 'message' in ack) this.acked.push(ack.message);
        else failures += 1;
      } catch {
        failures += 1; // no ack (the replica died or the socket closed): not acknowledged, so not promised
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
    return failures;
  }

  stop(): void {
    this.sending = false;
  }

  close(): void {
    this.sending = false;
    this.socket.close();
  }

  private async rejoin(): Promise<void> {
    const replica = replicaOf(this.socket);
    for (let attempt = 0; attempt < 5 && this.socket.connected; attempt++) {
      const ack = await call(this.socket, 'room:join', { roomId: this.roomId, since: this.contiguousSeq() }, 3_000).catch(() => undefined);
      if (ack?.ok) {
        for (const m of ack.missed) this.record(m);
        this.sessions.push(replica);
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private record(message: Message): void {
    if (message.roomId === this.roomId) this.seen.set(message.seq, message);
  }
}
