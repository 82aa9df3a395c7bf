import type { ChatClient, ChatError, ConnectionState } from '@chat/client';
import type { Room, UserRef } from '@chat/contract';
import { describe } from './api/errors.js';
import { RoomController } from './rooms/room.controller.js';
import { RoomListView, roomHref } from './rooms/room-list.view.js';
import { avatar, h, replaceChildren } from './ui/dom.js';

export interface ChatAppOptions {
  root: HTMLElement;
  /** Signed in (its token set); the app connects it and closes it when it ends. */
  chat: ChatClient;
  user: UserRef;
  /** Back to the sign-in screen, with an optional reason. */
  onSignedOut(notice?: string): void;
}

/** What the top bar says: connecting only until the first connection; offline whenever it is down after that. */
type Status = 'connecting' | 'online' | 'offline';

const ROOM_LIST_REFRESH_MS = 30_000;
const stateLabel: Record<Status, string> = { connecting: 'Connecting…', online: 'Online', offline: 'Offline' };

const roomIdFromHash = (): string | null => {
  const match = /^#\/rooms\/([^/]+)$/.exec(location.hash);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
};

/**
 * The signed-in app: top bar, room list and the open room, over one ChatClient whose
 * events it hands to the open room. The URL hash names the open room, so a reload comes
 * back to it.
 */
export class ChatApp {
  readonly #opts: ChatAppOptions;
  readonly #chat: ChatClient;
  readonly #rooms: RoomListView;
  readonly #shell: HTMLElement;
  readonly #pane = h('main', { id: 'main', class: 'pane', tabindex: -1 });
  readonly #status = h('span', { class: 'status', role: 'status' });
  readonly #banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  readonly #refreshTimer: ReturnType<typeof setInterval>;
  readonly #onHashChange = () => this.#route();
  readonly #unsubscribe: (() => void)[];
  #room: RoomController | null = null;
  #ended = false;
  #connectedOnce = false;

  constructor(options: ChatAppOptions) {
    this.#opts = options;
    this.#chat = options.chat;
    const { user } = options;
    this.#rooms = new RoomListView({ create: (name, description) => this.#createRoom(name, description) });
    this.#shell = h(
      'div',
      { class: 'app' },
      h('a', { class: 'skip-link', href: '#main' }, 'Skip to the conversation'),
      h(
        'header',
        { class: 'topbar' },
        h('div', { class: 'brand' }, h('span', { class: 'brand__mark', 'aria-hidden': 'true' }, '#'), 'Chat'),
        this.#status,
        h(
          'div',
          { class: 'topbar__user' },
          avatar(user.username),
          h('span', { class: 'topbar__name' }, user.username),
          h('button', { type: 'button', class: 'btn btn--ghost btn--small', onclick: () => void this.signOut() }, 'Sign out'),
        ),
      ),
      this.#banner,
      h('div', { class: 'layout' }, this.#rooms.element, this.#pane),
    );
    replaceChildren(options.root, this.#shell);

    const chat = this.#chat;
    this.#unsubscribe = [
      chat.on('connection', ({ state, error }) => this.#onConnection(state, error)),
      chat.on('session:ended', () => this.expire()),
      chat.on('message', (message) => this.#room?.onMessage(message)),
      chat.on('joined', (event) => this.#room?.onJoined(event)),
      chat.on('room', (event) => this.#room?.onSync(event)),
      chat.on('send', (event) => this.#room?.onSend(event)),
      chat.on('presence', (event) => this.#room?.onPresence(event)),
      chat.on('typing', (event) => this.#room?.onTyping(event)),
      chat.on('ai:delta', (event) => this.#room?.onAiDelta(event)),
      // Background trouble the SDK handles itself (a malformed event, a refused rejoin): for whoever debugs.
      chat.on('error', (err) => console.warn('chat:', err.code, err.message)),
    ];
    this.#showState('connecting');
    // A refused token ends the session (session:ended above); other refusals and outages are retried by the SDK.
    chat.connect().catch((err: unknown) => console.debug('connect refused', err));

    window.addEventListener('hashchange', this.#onHashChange);
    this.#refreshTimer = setInterval(() => void this.#loadRooms(), ROOM_LIST_REFRESH_MS);
    void this.#loadRooms();
    this.#route();
  }

  /** Signs out here and on the server (the token is refused everywhere afterwards). */
  async signOut(): Promise<void> {
    try {
      await this.#chat.logout();
    } catch (err) {
      console.warn('logout request failed; signing out locally', err);
    }
    this.#end();
  }

  /** The token expired or was revoked: back to sign-in with a reason. */
  expire(): void {
    this.#end('Your session has ended. Please sign in again.');
  }

  #end(notice?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#room?.close();
    this.#room = null;
    for (const off of this.#unsubscribe) off();
    this.#chat.close();
    clearInterval(this.#refreshTimer);
    window.removeEventListener('hashchange', this.#onHashChange);
    if (location.hash) history.replaceState(null, '', location.pathname);
    this.#opts.onSignedOut(notice);
  }

  #route(): void {
    const roomId = roomIdFromHash();
    if (roomId === this.#room?.roomId) return;
    this.#room?.close();
    this.#room = null;
    this.#rooms.setActive(roomId);
    this.#shell.classList.toggle('app--room-open', roomId !== null);
    if (!roomId) {
      replaceChildren(
        this.#pane,
        h('div', { class: 'pane__empty' }, h('h2', {}, `Hi ${this.#opts.user.username}!`), h('p', { class: 'muted' }, 'Pick a room on the left, or create a new one.')),
      );
      return;
    }
    const room = new RoomController({
      chat: this.#chat,
      me: this.#opts.user,
      roomId,
      onRoomChanged: (r) => this.#rooms.upsert(r),
      onLeft: () => {
        void this.#loadRooms();
        location.hash = '';
      },
      onBack: () => {
        location.hash = '';
      },
    });
    this.#room = room;
    replaceChildren(this.#pane, room.view.element);
    void room.open();
  }

  async #loadRooms(): Promise<void> {
    try {
      this.#rooms.setRooms((await this.#chat.rest.listRooms()).rooms);
      this.#rooms.setError('');
    } catch (err) {
      if (!this.#ended) this.#rooms.setError(`Could not load the rooms. ${describe(err)}`);
    }
  }

  async #createRoom(name: string, description: string): Promise<void> {
    const room: Room = await this.#chat.rest.createRoom({ body: description ? { name, description } : { name } });
    this.#rooms.upsert(room);
    location.hash = roomHref(room.id);
  }

  #onConnection(state: ConnectionState, error: ChatError | undefined): void {
    if (state === 'connected') {
      this.#connectedOnce = true;
      this.#showState('online');
      // The list may have changed while the connection was down.
      void this.#loadRooms();
    } else if (this.#connectedOnce || error || state === 'disconnected') this.#showState('offline');
  }

  #showState(state: Status): void {
    if (this.#status.dataset.state === state) return;
    this.#status.textContent = stateLabel[state];
    this.#status.dataset.state = state;
    this.#banner.hidden = state !== 'offline';
    this.#banner.textContent = 'You are offline. Reconnecting… Messages you send will go out when the connection is back.';
  }
}
