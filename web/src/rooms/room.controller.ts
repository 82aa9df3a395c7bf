import type { ChatClient, ChatClientEvents, RoomSyncEvent, SendEvent } from '@chat/client';
import type { AiDeltaEvent, Message, PresenceEvent, ReactionEvent, Room, RoomReadEvent, TypingEvent, UserRef } from '@chat/contract';
import { describe, errorCode } from '../api/errors.js';
import { AiStreams } from '../messages/ai-streams.js';
import { History } from '../messages/history.js';
import type { UnreadAtOpen } from '../messages/layout.js';
import { showSend } from '../messages/sends.js';
import { Timeline } from '../messages/timeline.js';
import type { ScrollIntent } from '../messages/timeline.view.js';
import { Members } from '../presence/members.js';
import { TypingSender, TypingWatchers } from '../typing/typing.js';
import { CATCH_UP_RETRY_NOTE, JOIN_RETRY_NOTE } from './room-notes.js';
import { RoomView } from './room.view.js';
import { RoomReads, type ReadState } from './room-reads.js';

export interface RoomControllerDeps {
  chat: ChatClient;
  me: UserRef;
  roomId: string;
  /** A fresher copy of the room (member count), for the room list; `joined` when known. */
  onRoomChanged(room: Room, joined?: boolean): void;
  /** The cursor and last seq of the room as the server has them now (undefined when not a member): what is unread as it opens. */
  unreadAtOpen(): Promise<UnreadAtOpen | undefined>;
  /** The reading moved on (read here or elsewhere, or a message came): for the badge. */
  onRead(roomId: string, state: ReadState): void;
  onLeft(roomId: string): void;
  onBack(): void;
}

const DETAILS_REFRESH_DELAY_MS = 300;
/** Scroll intents, weakest first: a batch of renders takes the strongest. */
const INTENTS: ScrollIntent[] = ['auto', 'keep', 'bottom'];

const logLost = (what: string) => (err: unknown) => console.debug(`${what} not delivered`, err);

/**
 * One open room, as UI over the SDK: details and membership over REST, then `chat.join`,
 * which delivers the latest page, rejoins with `since` after every reconnect and catches
 * up, each message once and in order; our sends go through the SDK's outbox (resent with
 * their clientId until answered), shown pending as its `send` events report them.
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
  /** The first `chat.join` answered or failed: a refusal reported after that means membership ended. */
  #joinSettled = false;
  /** Joined from the prompt just now: its history is new to the user, not unread (a new member's cursor starts at 0). */
  #joinedHere = false;
  #closed = false;
  #detailsTimer: ReturnType<typeof setTimeout> | undefined;
  #renderIntent: ScrollIntent | undefined;
  readonly #reads: RoomReads;

  constructor(private readonly deps: RoomControllerDeps) {
    this.#timeline = new Timeline(deps.me.id);
    this.#typingOut = new TypingSender((isTyping) => {
      if (deps.chat.roomState(deps.roomId)?.live) deps.chat.typing(deps.roomId, isTyping).catch(logLost('typing'));
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
      retry: (clientId) => this.#retry(clientId),
      discard: (clientId) => {
        this.#timeline.removePending(clientId);
        this.#render();
      },
      react: (message, emoji, on) => this.#react(message, emoji, on),
      settled: () => this.settled(),
    });
    this.#reads = new RoomReads({ chat: deps.chat, me: deps.me, roomId: deps.roomId, timeline: this.#timeline, view: this.view.timeline, onRead: deps.onRead });
    this.#history = new History({
      chat: deps.chat,
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
    const { chat, roomId, me } = this.deps;
    let details;
    let atOpen;
    try {
      // The cursor before anything here is marked read: what was unread as the room opens gets the divider.
      [details, atOpen] = await Promise.all([chat.rest.room({ params: { roomId } }), this.deps.unreadAtOpen()]);
    } catch (err) {
      if (!this.#closed) this.view.showError(describe(err));
      return;
    }
    if (this.#closed) return;
    this.view.setRoom(details);
    const member = details.members.some((m) => m.id === me.id);
    this.deps.onRoomChanged(details, member);
    this.#members.setMembers(details.members);
    if (!member) return this.view.showJoinPrompt(details);
    this.#member = true;
    this.#reads.opened(this.#joinedHere ? undefined : atOpen);
    this.view.showChat();
    this.view.setMembers(this.#members);
    // Sends of this room the SDK still holds (made before it was last closed) show pending again.
    for (const send of chat.pendingSends) if (send.roomId === roomId) this.#timeline.upsertPending(send.clientId, send.content, send.state);
    // Not on touch screens, where focusing would pop the keyboard over the messages.
    if (matchMedia('(pointer: fine)').matches) this.view.focusComposer();
    this.#joinSettled = false;
    try {
      await chat.join(roomId);
    } catch (err) {
      if (this.#closed) return;
      const code = errorCode(err);
      if (code === 'forbidden' || code === 'not_found') return this.#notMember();
      // Still held by the SDK: only the socket join failed, and it tries again by itself (see onSync).
      if (!chat.roomState(roomId)) return this.view.showError(describe(err));
    } finally {
      this.#joinSettled = true;
    }
    if (this.#closed) return;
    this.#render();
    this.#history.started();
    this.#reads.start();
  }

  /** The view is at rest, or the page came back into view: what is in view counts as read. */
  settled(): void {
    this.#reads.settled();
  }

  /** This user's cursor moved on another device. */
  onReadElsewhere(event: RoomReadEvent): void {
    if (event.roomId === this.deps.roomId && this.#member) this.#reads.moved(event.readSeq);
  }

  onReaction(event: ReactionEvent): void {
    if (event.roomId !== this.deps.roomId || !this.#member) return;
    if (this.#timeline.applyReaction(event)) this.#renderSoon('auto');
  }

  /** Tells the room list where reading stands (after it reloaded, say). */
  reportRead(): void {
    if (this.#member && !this.#closed) this.#reads.report();
  }

  #react(message: Message, emoji: string, on: boolean): void {
    this.deps.chat.react(this.deps.roomId, message.id, emoji, on).then(
      ({ count }) => {
        if (this.#closed) return;
        this.#timeline.setOwnReaction(message.id, emoji, count, on);
        this.#renderSoon('auto');
      },
      (err: unknown) => !this.#closed && this.view.setComposerError(describe(err)),
    );
  }

  async join(): Promise<void> {
    try {
      this.deps.onRoomChanged(await this.deps.chat.rest.joinRoom({ params: { roomId: this.deps.roomId } }), true);
      this.#joinedHere = true;
      this.view.showLoading();
      await this.open();
    } catch (err) {
      if (!this.#closed) this.view.showError(describe(err));
    }
  }

  async leave(): Promise<void> {
    try {
      await this.deps.chat.rest.leaveRoom({ params: { roomId: this.deps.roomId } });
    } catch (err) {
      this.view.setComposerError(describe(err));
      return;
    }
    this.deps.onLeft(this.deps.roomId);
  }

  send(content: string): void {
    this.#typingOut.stop();
    // Its progress and outcome come back as `send` events (onSend).
    this.deps.chat.send(this.deps.roomId, content).catch(() => undefined);
    this.#render('bottom');
  }

  onMessage(message: Message): void {
    if (message.roomId !== this.deps.roomId || !this.#member) return;
    if (this.#timeline.add([message]).length === 0) return;
    this.#streams.complete(message);
    if (message.sender?.id) this.#typingIn.clear(message.sender.id);
    // Someone joined or left while we watch (not a system message of a page or a catch-up).
    if (message.type === 'system' && this.deps.chat.roomState(this.deps.roomId)?.live) this.#refreshDetailsSoon();
    this.#renderSoon(message.sender?.id === this.deps.me.id ? 'bottom' : 'auto');
    // Our own message moved our cursor to it (the server did so). Someone else's counts as unread until
    // the view settles with it in sight (the render above leads to `settled`).
    if (message.type === 'message' && message.sender?.id === this.deps.me.id) this.#reads.moved(message.seq);
  }

  onJoined(event: ChatClientEvents['joined']): void {
    if (event.roomId !== this.deps.roomId || this.#closed) return;
    const { me } = this.deps;
    this.#members.setOnline(event.online.some((u) => u.id === me.id) ? event.online : [...event.online, me]);
    this.view.setMembers(this.#members);
    this.view.setRoom(event.room);
    this.deps.onRoomChanged(event.room, true);
    this.view.clearComposerError(JOIN_RETRY_NOTE);
  }

  onSync(event: RoomSyncEvent): void {
    if (event.roomId !== this.deps.roomId || this.#closed) return;
    if (event.state === 'retrying') this.view.setComposerError(event.stage === 'join' ? JOIN_RETRY_NOTE : CATCH_UP_RETRY_NOTE);
    else if (event.state === 'synced') {
      this.view.clearComposerError(JOIN_RETRY_NOTE);
      this.view.clearComposerError(CATCH_UP_RETRY_NOTE);
    } else if (this.#joinSettled) this.#notMember(); // refused on a rejoin (the first join's refusal is handled in open)
  }

  onSend(event: SendEvent): void {
    if (event.roomId !== this.deps.roomId || !this.#member || this.#closed) return;
    const refused = showSend(this.#timeline, event);
    if (refused) {
      this.view.restoreDraft(refused.content);
      this.view.setComposerError(refused.reason);
    }
    this.#renderSoon(event.state === 'waiting' || event.state === 'sent' ? 'bottom' : 'auto');
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
    this.#renderSoon('auto');
  }

  close(): void {
    if (this.#closed) return;
    this.#typingOut.stop();
    this.#closed = true;
    this.#reads.close();
    this.#typingIn.clearAll();
    clearInterval(this.#pruneTimer);
    clearTimeout(this.#detailsTimer);
    // No more delivery, nor rejoins, for this room; its unsent messages wait in the SDK for the next visit.
    if (this.#member) this.deps.chat.leave(this.deps.roomId).catch(logLost('room:leave'));
    this.view.element.remove();
  }

  /** Not (or no longer) a member: open the room afresh, which offers to join it. */
  #notMember(): void {
    this.#member = false;
    void this.open();
  }

  #retry(clientId: string): void {
    const pending = this.#timeline.getPending(clientId);
    // The same clientId: should the first try have been stored after all, this cannot store it twice.
    if (pending?.state === 'failed') this.deps.chat.send(this.deps.roomId, pending.content, { clientId }).catch(() => undefined);
  }

  #refreshDetailsSoon(): void {
    clearTimeout(this.#detailsTimer);
    this.#detailsTimer = setTimeout(() => {
      this.deps.chat.rest.room({ params: { roomId: this.deps.roomId } }).then(
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

  /** One render for a burst of events (a page of 50 arrives as 50 `message` events in one go). */
  #renderSoon(intent: ScrollIntent): void {
    const queued = this.#renderIntent;
    this.#renderIntent = queued === undefined || INTENTS.indexOf(intent) > INTENTS.indexOf(queued) ? intent : queued;
    if (queued !== undefined) return;
    queueMicrotask(() => {
      const next = this.#renderIntent ?? 'auto';
      this.#renderIntent = undefined;
      this.#render(next);
    });
  }

  #render(intent: ScrollIntent = 'auto'): void {
    if (this.#closed) return;
    this.view.timeline.setDivider(this.#reads.divider());
    this.view.timeline.render(this.#timeline, this.#streams.list(), intent);
  }
}
