import { TYPING_TTL_MS, type TypingEvent, type UserRef } from '@chat/contract';

type Timer = ReturnType<typeof setTimeout>;

/** Renew `typing: true` this often while the user keeps typing (the server lets it lapse after 5 s). */
export const TYPING_RENEW_MS = 3_000;
/** Say `typing: false` after this long without a keystroke. */
export const TYPING_IDLE_MS = 4_000;

/** Our own typing state: true while typing, renewed every ~3 s, false on idle, send or blur. */
export class TypingSender {
  #active = false;
  #lastSent = 0;
  #idle: Timer | undefined;

  constructor(private readonly send: (isTyping: boolean) => void) {}

  /** Call on every edit; `empty` when the box was cleared. */
  input(empty: boolean, now = Date.now()): void {
    if (empty) return this.stop();
    if (!this.#active || now - this.#lastSent >= TYPING_RENEW_MS) {
      this.#active = true;
      this.#lastSent = now;
      this.send(true);
    }
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.stop(), TYPING_IDLE_MS);
  }

  stop(): void {
    clearTimeout(this.#idle);
    this.#idle = undefined;
    if (!this.#active) return;
    this.#active = false;
    this.send(false);
  }
}

/** Others typing in the room; each entry lapses after TYPING_TTL_MS without renewal. */
export class TypingWatchers {
  readonly #typing = new Map<string, { user: UserRef; timer: Timer }>();

  constructor(private readonly onChange: () => void) {}

  apply(event: TypingEvent): void {
    if (event.isTyping) {
      clearTimeout(this.#typing.get(event.user.id)?.timer);
      const timer = setTimeout(() => this.clear(event.user.id), TYPING_TTL_MS);
      this.#typing.set(event.user.id, { user: event.user, timer });
      this.onChange();
    } else {
      this.clear(event.user.id);
    }
  }

  /** Someone stopped typing (said so, sent a message, lapsed, or left). */
  clear(userId: string): void {
    const entry = this.#typing.get(userId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#typing.delete(userId);
    this.onChange();
  }

  clearAll(): void {
    for (const { timer } of this.#typing.values()) clearTimeout(timer);
    this.#typing.clear();
  }

  /** "alice is typing…", "alice and bob are typing…", "4 people are typing…", or ''. */
  text(): string {
    const names = [...this.#typing.values()].map((t) => t.user.username).sort();
    if (names.length === 0) return '';
    if (names.length === 1) return `${names[0]} is typing…`;
    if (names.length <= 3) return `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are typing…`;
    return `${names.length} people are typing…`;
  }
}
