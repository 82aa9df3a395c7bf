import {
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
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
import { Timeline } from '../messages/timeline.js';
import type { OlderState, ScrollIntent } from '../messages/timeline.view.js';
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

const GAP_FILL_DELAY_MS = 1_000;
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
  readonly #pruneTimer: ReturnType<typeof setInterval>;
  #member = false;
  #joined = false;
  #closed = false;
  #older: OlderState = 'none';
  #syncing: Promise<void> | null = null;
  #gapTimer: ReturnType<typeof setTimeout> | undefined;
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
      loadOlder: () => void this.loadOlder(),
      join: () => void this.join(),
      leave: () => void this.leave(),
      back: () => deps.onBack(),
      retry: (clientId) => void this.#deliver(clientId),
      discard: (clientId) => {
        this.#timeline.removePending(clientId);
        this.#render();
      },
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
      const latest = await api.history(roomId, { limit: HISTORY_DEFAULT_LIMIT });
      if (this.#closed) return;
      this.#timeline.add(latest);
      this.#setOlder(latest.length === HISTORY_DEFAULT_LIMIT && (this.#timeline.firstSeq ?? 1) > 1 ? 'more' : 'none');
      this.#render('bottom');
      this.view.focusComposer();
      await this.sync();
      this.#fillView();
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
    this.#syncing ??= this.#sync().finally(() => (this.#syncing = null));
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
    if (ack.missed.length >= MISSED_MAX) await this.#fillAfter(since);
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
      this.#timeline.updatePending(clientId, { state: 'waiting' });
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

  async loadOlder(): Promise<void> {
    const first = this.#timeline.firstSeq;
    if (this.#older !== 'more' || this.#closed || first === undefined) return;
    this.#setOlder('loading');
    try {
      const page = await this.deps.api.history(this.deps.roomId, { before: first, limit: HISTORY_DEFAULT_LIMIT });
      if (this.#closed) return;
      this.#timeline.add(page);
      this.#setOlder(page.length === HISTORY_DEFAULT_LIMIT && (page[0]?.seq ?? 1) > 1 ? 'more' : 'none');
      this.#render('keep');
      this.#fillView();
    } catch (err) {
      this.#setOlder('more');
      this.view.setComposerError(describe(err));
    }
  }

  onMessage(message: Message): void {
    if (message.roomId !== this.deps.roomId || !this.#member) return;
    if (this.#timeline.add([message]).length === 0) return;
    this.#streams.complete(message);
    if (message.sender?.id) this.#typingIn.clear(message.sender.id);
    if (message.type === 'system') this.#refreshDetailsSoon();
    this.#render(message.sender?.id === this.deps.me.id ? 'bottom' : 'auto');
    if (this.#timeline.gapAfter() !== undefined) this.#fillGapSoon();
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
    clearTimeout(this.#gapTimer);
    clearTimeout(this.#detailsTimer);
    if (this.#joined) this.deps.connection.leave(this.deps.roomId).catch(logLost('room:leave'));
    this.#joined = false;
    this.view.element.remove();
  }

  /** Pages forward over REST from `seq` until the end: after a full `missed` or to close a hole. */
  async #fillAfter(seq: number): Promise<void> {
    let after = seq;
    for (;;) {
      const page = await this.deps.api.history(this.deps.roomId, { after, limit: HISTORY_MAX_LIMIT });
      if (this.#closed) return;
      this.#timeline.add(page);
      this.#render();
      const last = page.at(-1);
      if (page.length < HISTORY_MAX_LIMIT || !last) return;
      after = last.seq;
    }
  }

  #fillGapSoon(): void {
    this.#gapTimer ??= setTimeout(() => {
      this.#gapTimer = undefined;
      const gap = this.#timeline.gapAfter();
      if (gap !== undefined && !this.#closed) this.#fillAfter(gap).catch((err: unknown) => this.view.setComposerError(describe(err)));
    }, GAP_FILL_DELAY_MS);
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

  /** A short history does not fill the view, so no scroll could ask for more: ask now. */
  #fillView(): void {
    if (this.#older === 'more' && this.view.timeline.underfilled) void this.loadOlder();
  }

  #setOlder(state: OlderState): void {
    this.#older = state;
    this.view.timeline.setOlder(state);
  }

  #render(intent: ScrollIntent = 'auto'): void {
    if (!this.#closed) this.view.timeline.render(this.#timeline, this.#streams.list(), intent);
  }
}
