import type { AiDeltaEvent, Message, PresenceEvent, Room, TypingEvent, UserRef } from '@chat/contract';
import type { ApiClient } from '../api/client.js';
import { describe } from '../api/errors.js';
import { AiStreams } from '../messages/ai-streams.js';
import { newClientId } from '../messages/client-id.js';
import { commandNote } from '../messages/command-note.js';
import { History } from '../messages/history.js';
import { Outbox } from '../messages/outbox.js';
import { Timeline } from '../messages/timeline.js';
import type { ScrollIntent } from '../messages/timeline.view.js';
import { Members } from '../presence/members.js';
import type { Connection } from '../socket/connection.js';
import { TypingSender, TypingWatchers } from '../typing/typing.js';
import { RoomSync } from './room-sync.js';
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
 * pages, see RoomSync), so nothing is missing or doubled. Pending sends (see
 * Outbox) are retried with their original clientId once the room is joined again.
 */
export class RoomController {
  readonly view: RoomView;
  readonly #timeline: Timeline;
  readonly #members = new Members();
  readonly #streams = new AiStreams();
  readonly #typingOut: TypingSender;
  readonly #typingIn: TypingWatchers;
  readonly #history: History;
  readonly #outbox: Outbox;
  readonly #sync: RoomSync;
  readonly #pruneTimer: ReturnType<typeof setInterval>;
  #member = false;
  /** The latest page is in: a join's `since` is the last seq of it, not 0 (which would replay the room). */
  #loaded = false;
  #closed = false;
  #detailsTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly deps: RoomControllerDeps) {
    this.#timeline = new Timeline(deps.me.id);
    this.#typingOut = new TypingSender((isTyping) => {
      if (this.#sync.joined) deps.connection.typing({ roomId: deps.roomId, isTyping }).catch(logLost('typing'));
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
      retry: (clientId) => void this.#outbox.deliver(clientId),
      discard: (clientId) => this.#outbox.discard(clientId),
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
    this.#outbox = new Outbox({
      timeline: this.#timeline,
      send: (content, clientId) => deps.connection.send({ roomId: deps.roomId, content, clientId }),
      isJoined: () => this.#sync.joined && !this.#closed,
      isConnected: () => deps.connection.connected,
      isClosed: () => this.#closed,
      onAccepted: (ack, content) => {
        if ('message' in ack) this.#timeline.add([ack.message]);
        else this.#timeline.addNote(commandNote(ack, content));
      },
      onInvalid: (content, reason) => {
        this.view.restoreDraft(content);
        this.view.setComposerError(reason);
      },
      // No answer on a live connection: a re-join tells whether it was stored, and sends it again if not.
      onUnconfirmed: () => this.#sync.retrySoon(),
      changed: () => this.#render(),
    });
    this.#sync = new RoomSync({
      join: (since) => deps.connection.join({ roomId: deps.roomId, since }),
      lastSeq: () => this.#timeline.lastSeq,
      canJoin: () => this.#member && this.#loaded && !this.#closed && deps.connection.connected,
      isConnected: () => deps.connection.connected,
      isClosed: () => this.#closed,
      onJoined: (ack) => {
        this.#timeline.add(ack.missed);
        this.#members.setOnline(ack.online.some((u) => u.id === deps.me.id) ? ack.online : [...ack.online, deps.me]);
        this.view.setMembers(this.#members);
        this.view.setRoom(ack.room);
        deps.onRoomChanged(ack.room);
        this.#render();
      },
      onNotMember: () => {
        this.#member = false;
        void this.open();
      },
      catchUp: async (fullAfter) => {
        if (fullAfter !== undefined) await this.#history.fillAfter(fullAfter);
        const hole = this.#timeline.gapAfter();
        if (hole !== undefined) await this.#history.fillAfter(hole);
      },
      flush: () => this.#outbox.flush(),
      onError: (text) => this.view.setComposerError(text),
      onErrorOver: (text) => this.view.clearComposerError(text),
    });
  }

  get roomId(): string {
    return this.deps.roomId;
  }

  async open(): Promise<void> {
    const { api, roomId, me } = this.deps;
    this.#loaded = false;
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
      this.#loaded = true;
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
    return this.#sync.run();
  }

  send(content: string): void {
    this.#typingOut.stop();
    this.#outbox.add(newClientId(), content);
    this.#render('bottom');
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
    if (this.#sync.joined) this.deps.connection.leave(this.deps.roomId).catch(logLost('room:leave'));
    this.#sync.reset();
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
