import {
  MISSED_MAX,
  type AiDeltaEvent,
  type Message,
  type PresenceEvent,
  type Room,
  type TypingEvent,
  type UserRef,
} from '@chat/common/contract';
import type { ApiClient } from '../api/client.js';
import { describe, describeError, isRetryable } from '../api/errors.js';
import { AiStreams } from '../messages/ai-streams.js';
import { newClientId } from '../messages/client-id.js';
import { commandNote } from '../messages/command-note.js';
import { History } from '../messages/history.js';
import { Timeline } from '../messages/timeline.js';
import type { ScrollIntent } from '../messages/timeline.view.js';
import { Members } from '../presence/members.js';
import { NotDelivered, type Connection } from '../socket/connection.js';
import { TypingSender, TypingWatchers } from '../typing/typing.js';
import { RoomView } from './room.view.js';

export interface RoomControllerDeps {
  api: ApiClient;
  connection: Connection;
  me: UserRef;
  roomId: string;
  /** A fresher copy of the room (member count), for the room list. */
  onRoomChanged(room: Room): void;
  onLeft(roomId: string): void;
  onBack(): void;
}

const DETAILS_REFRESH_DELAY_MS = 300;

const logLost = (what: string) => (err: unknown) => console.debug(`${what} not delivered`, err);

/**
 * One open room: history over REST, live events over the socket, and the
 * catch-up after a reconnect (`room:join` with `since`, then REST `after`
 * pages), so nothing is missing or doubled. Pending sends are retried with
 * their original clientId once the room is joined again.
 */
export class RoomController {
  readonly view: RoomView;
  readonly #timeline: Timeline;
  readonly #members = new Members();
  readonly #streams = new AiStreams();
  readonly #typingOut: TypingSender;
  readonly #typingIn: TypingWatchers;
  readonly #history: History;
  readonly #pruneTimer: ReturnType<typeof setInterval>;
  #member = false;
  #joined = false;
  #closed = false;
  #syncing: Promise<void> | null = null;
  #syncAgain = false;
  #detailsTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly deps: RoomControllerDeps) {
    this.#timeline = new Timeline(deps.me.id);
    this.#typingOut = new TypingSender((isTyping) => {
      if (this.#joined) deps.connection.typing({ roomId: deps.roomId, isTyping }).catch(logLost('typing'));
    });
    this.#typingIn = new TypingWatchers(() => this.view.setTyping(this.#typingIn.text()));
    this.#pruneTimer = setInterval(() => this.#streams.prune() && this.#render(), 10_000);
    this.view = new RoomView(deps.me, {
      send: (content) => this.send(content),
      edit: (empty) => this.#typingOut.input(empty),
      blur: () => this.#typingOut.stop(),
      loadOlder: () => void this.#history.loadOlder(),
      join: () => void this.join(),
      leave: () => void this.leave(),
      back: () => deps.onBack(),
      retry: (clientId) => void this.#deliver(clientId),
      discard: (clientId) => {
        this.#timeline.removePending(clientId);
        this.#render();
      },
    });
    this.#history = new History({
      api: deps.api,
      roomId: deps.roomId,
      timeline: this.#timeline,
      view: this.view.timeline,
      render: (intent) => this.#render(intent),
      isClosed: () => this.#closed,
      onError: (err) => this.view.setComposerError(describe(err)),
    });
  }

  get roomId(): string {
    return this.deps.roomId;
  }

  async open(): Promise<void> {
    const { api, roomId, me } = this.deps;
    try {
      const details = await api.getRoom(roomId);
      if (this.#closed) return;
      this.view.setRoom(details);
      this.deps.onRoomChanged(details);
      this.#members.setMembers(details.members);
      if (!details.members.some((m) => m.id === me.id)) return this.view.showJoinPrompt(details);
      this.#member = true;
      this.view.showChat();
      this.view.setMembers(this.#members);
      await this.#history.loadLatest();
      if (this.#closed) return;
      // Not on touch screens, where focusing would pop the keyboard over the messages.
      if (matchMedia('(pointer: fine)').matches) this.view.focusComposer();
      await this.sync();
      this.#history.fillView();
    } catch (err) {
      if (!this.#closed) this.view.showError(describe(err));
    }
  }

  async join(): Promise<void> {
    try {
      this.deps.onRoomChanged(await this.deps.api.joinRoom(this.deps.roomId));
      this.view.showLoading();
      await this.open();
    } catch (err) {
      if (!this.#closed) this.view.showError(describe(err));
    }
  }

  async leave(): Promise<void> {
    try {
      await this.deps.api.leaveRoom(this.deps.roomId);
    } catch (err) {
      this.view.setComposerError(describe(err));
      return;
    }
    this.deps.onLeft(this.deps.roomId);
  }

  /** Joins the socket room with `since` = the last seq seen; runs on open and after every reconnect. */
  sync(): Promise<void> {
    if (!this.#member || this.#closed || !this.deps.connection.connected) return Promise.resolve();
    if (this.#syncing) {
      // A reconnect while a sync is in flight: that one may have been lost, so run once more after it.
      this.#syncAgain = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      do {
        this.#syncAgain = false;
        await this.#sync().catch((err: unknown) => this.view.setComposerError(describe(err)));
      } while (this.#syncAgain && !this.#closed && this.deps.connection.connected);
    })().finally(() => (this.#syncing = null));
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    this.#joined = false;
    const since = this.#timeline.lastSeq;
    let ack;
    try {
      ack = await this.deps.connection.join({ roomId: this.deps.roomId, since });
    } catch (err) {
      if (err instanceof NotDelivered) return; // the next connect syncs again
      throw err;
    }
    if (this.#closed) return;
    if (!ack.ok) {
      if (ack.error.code === 'forbidden' || ack.error.code === 'not_found') {
        this.#member = false;
        return this.open();
      }
      this.view.setComposerError(describeError(ack.error.code, ack.error.message));
      return;
    }
    this.#joined = true;
    this.#timeline.add(ack.missed);
    this.#members.setOnline(ack.online.some((u) => u.id === this.deps.me.id) ? ack.online : [...ack.online, this.deps.me]);
    this.view.setMembers(this.#members);
    this.view.setRoom(ack.room);
    this.deps.onRoomChanged(ack.room);
    this.#render();
    // `missed` holds the first MISSED_MAX after `since`: page the rest.
    const lastMissed = ack.missed.at(-1);
    if (ack.missed.length >= MISSED_MAX && lastMissed) await this.#history.fillAfter(lastMissed.seq);
    for (const p of this.#timeline.pending()) {
      if (p.state !== 'failed' && !this.#closed && this.#joined) await this.#deliver(p.clientId);
    }
  }

  send(content: string): void {
    this.#typingOut.stop();
    const clientId = newClientId();
    this.#timeline.addPending(clientId, content);
    this.#render('bottom');
    void this.#deliver(clientId);
  }

  async #deliver(clientId: string): Promise<void> {
    const pending = this.#timeline.getPending(clientId);
    if (!pending) return;
    if (!this.#joined) {
      this.#timeline.updatePending(clientId, { state: 'waiting' });
      return this.#render();
    }
    this.#timeline.updatePending(clientId, { state: 'sending', error: undefined });
    this.#render();
    let ack;
    try {
      ack = await this.deps.connection.send({ roomId: this.deps.roomId, content: pending.content, clientId });
    } catch (err) {
      if (!(err instanceof NotDelivered)) throw err;
      // Offline: sent again after the re-join. Online but unanswered: the user may retry (same clientId, so no double).
      this.#timeline.updatePending(
        clientId,
        this.deps.connection.connected
          ? { state: 'failed', error: 'No answer from the server yet.', retryable: true }
          : { state: 'waiting' },
      );
      return this.#render();
    }
    if (this.#closed) return;
    if (ack.ok) {
      this.#timeline.removePending(clientId);
      if ('message' in ack) this.#timeline.add([ack.message]);
      else this.#timeline.addNote(commandNote(ack, pending.content));
    } else if (ack.error.code === 'validation') {
      this.#timeline.removePending(clientId);
      this.view.restoreDraft(pending.content);
      this.view.setComposerError(describeError('validation', ack.error.message));
    } else {
      const error = describeError(ack.error.code, ack.error.message);
      this.#timeline.updatePending(clientId, { state: 'failed', error, retryable: isRetryable(ack.error.code) });
    }
    this.#render();
  }

  onMessage(message: Message): void {
    if (message.roomId !== this.deps.roomId || !this.#member) return;
    if (this.#timeline.add([message]).length === 0) return;
    this.#streams.complete(message);
    if (message.sender?.id) this.#typingIn.clear(message.sender.id);
    if (message.type === 'system') this.#refreshDetailsSoon();
    this.#render(message.sender?.id === this.deps.me.id ? 'bottom' : 'auto');
    this.#history.checkGap();
  }

  onPresence(event: PresenceEvent): void {
    if (event.roomId !== this.deps.roomId) return;
    this.#members.apply(event);
    if (event.status === 'offline') this.#typingIn.clear(event.user.id);
    this.view.setMembers(this.#members);
  }

  onTyping(event: TypingEvent): void {
    if (event.roomId === this.deps.roomId && event.user.id !== this.deps.me.id) this.#typingIn.apply(event);
  }

  onAiDelta(event: AiDeltaEvent): void {
    if (event.roomId !== this.deps.roomId || !this.#member) return;
    this.#streams.delta(event);
    this.#render();
  }

  close(): void {
    if (this.#closed) return;
    this.#typingOut.stop();
    this.#closed = true;
    this.#typingIn.clearAll();
    clearInterval(this.#pruneTimer);
    this.#history.close();
    clearTimeout(this.#detailsTimer);
    if (this.#joined) this.deps.connection.leave(this.deps.roomId).catch(logLost('room:leave'));
    this.#joined = false;
    this.view.element.remove();
  }

  #refreshDetailsSoon(): void {
    clearTimeout(this.#detailsTimer);
    this.#detailsTimer = setTimeout(() => {
      this.deps.api.getRoom(this.deps.roomId).then(
        (details) => {
          if (this.#closed) return;
          this.#members.setMembers(details.members);
          this.view.setMembers(this.#members);
          this.view.setRoom(details);
          this.deps.onRoomChanged(details);
        },
        (err: unknown) => console.debug('room details refresh failed', err),
      );
    }, DETAILS_REFRESH_DELAY_MS);
  }

  #render(intent: ScrollIntent = 'auto'): void {
    if (!this.#closed) this.view.timeline.render(this.#timeline, this.#streams.list(), intent);
  }
}
