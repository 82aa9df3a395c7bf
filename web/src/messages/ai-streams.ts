import type { AiDeltaEvent, Message } from '@chat/contract';

export interface AiStream {
  requestId: string;
  text: string;
  startedAt: number;
  updatedAt: number;
}

/** A stream with no delta for this long is dropped (its worker died; the retry streams anew). */
export const AI_STREAM_IDLE_MS = 60_000;

/**
 * AI answers while they stream (`ai:delta` by requestId). The final answer
 * arrives as an ordinary `bot` message without a requestId, so it replaces the
 * stream whose text it continues (or else the oldest one).
 */
export class AiStreams {
  readonly #streams = new Map<string, AiStream>();

  delta(event: AiDeltaEvent, now = Date.now()): void {
    const stream = this.#streams.get(event.requestId) ?? { requestId: event.requestId, text: '', startedAt: now, updatedAt: now };
    this.#streams.set(event.requestId, { ...stream, text: stream.text + event.delta, updatedAt: now });
  }

  /** Drops the stream a final `ai` bot message completes; true when one was dropped. */
  complete(message: Message): boolean {
    if (message.type !== 'bot' || message.sender?.username !== 'ai' || this.#streams.size === 0) return false;
    const candidates = [...this.#streams.values()].sort((a, b) => a.startedAt - b.startedAt);
    const match =
      candidates.filter((s) => message.content.startsWith(s.text)).sort((a, b) => b.text.length - a.text.length)[0] ?? candidates[0];
    return match ? this.#streams.delete(match.requestId) : false;
  }

  /** Drops streams idle too long; true when any was dropped. */
  prune(now = Date.now()): boolean {
    let dropped = false;
    for (const [id, s] of this.#streams) {
      if (now - s.updatedAt > AI_STREAM_IDLE_MS) dropped = this.#streams.delete(id) || dropped;
    }
    return dropped;
  }

  list(): AiStream[] {
    return [...this.#streams.values()].sort((a, b) => a.startedAt - b.startedAt);
  }
}
