import { messageSchema, type AuthResponse, type Room } from '@chat/contract';
import type { ApiClient } from './api/client.js';
import { describe } from './api/errors.js';
import { RoomController } from './rooms/room.controller.js';
import { RoomListView, roomHref } from './rooms/room-list.view.js';
import { Connection, type ConnectionState } from './socket/connection.js';
import { avatar, h, replaceChildren } from './ui/dom.js';

export interface ChatAppOptions {
  root: HTMLElement;
  auth: AuthResponse;
  api: ApiClient;
  /** Back to the sign-in screen, with an optional reason. */
  onSignedOut(notice?: string): void;
}

const ROOM_LIST_REFRESH_MS = 30_000;
const stateLabel: Record<ConnectionState, string> = { connecting: 'Connecting…', online: 'Online', offline: 'Offline' };

const roomIdFromHash = (): string | null => {
  const match = /^#\/rooms\/([^/]+)$/.exec(location.hash);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
};

/**
 * The signed-in app: top bar, room list, the open room and the connection.
 * The URL hash names the open room, so a reload comes back to it.
 */
export class ChatApp {
  readonly #opts: ChatAppOptions;
  readonly #connection: Connection;
  readonly #rooms: RoomListView;
  readonly #shell: HTMLElement;
  readonly #pane = h('main', { id: 'main', class: 'pane', tabindex: -1 });
  readonly #status = h('span', { class: 'status', role: 'status' });
  readonly #banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  readonly #refreshTimer: ReturnType<typeof setInterval>;
  readonly #onHashChange = () => this.#route();
  #room: RoomController | null = null;
  #ended = false;

  constructor(options: ChatAppOptions) {
    this.#opts = options;
    const { auth } = options;
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
          avatar(auth.user.username),
          h('span', { class: 'topbar__name' }, auth.user.username),
          h('button', { type: 'button', class: 'btn btn--ghost btn--small', onclick: () => void this.signOut() }, 'Sign out'),
        ),
      ),
      this.#banner,
      h('div', { class: 'layout' }, this.#rooms.element, this.#pane),
    );
    replaceChildren(options.root, this.#shell);

    this.#connection = new Connection(auth.token, {
      onStateChange: (state) => this.#showState(state),
      onConnect: () => {
        void this.#room?.sync();
        void this.#loadRooms();
      },
      onUnauthorized: () => this.expire(),
    });
    this.#showState('connecting');
    const { socket } = this.#connection;
    socket.on('message', (payload) => {
      const parsed = messageSchema.safeParse(payload);
      if (parsed.success) this.#room?.onMessage(parsed.data);
      else console.warn('ignored a malformed message event');
    });
    socket.on('presence', (event) => this.#room?.onPresence(event));
    socket.on('typing', (event) => this.#room?.onTyping(event));
    socket.on('ai:delta', (event) => this.#room?.onAiDelta(event));

    window.addEventListener('hashchange', this.#onHashChange);
    this.#refreshTimer = setInterval(() => void this.#loadRooms(), ROOM_LIST_REFRESH_MS);
    void this.#loadRooms();
    this.#route();
  }

  /** Signs out here and on the server (the token is refused everywhere afterwards). */
  async signOut(): Promise<void> {
    try {
      await this.#opts.api.logout();
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
    this.#connection.close();
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
        h('div', { class: 'pane__empty' }, h('h2', {}, `Hi ${this.#opts.auth.user.username}!`), h('p', { class: 'muted' }, 'Pick a room on the left, or create a new one.')),
      );
      return;
    }
    const room = new RoomController({
      api: this.#opts.api,
      connection: this.#connection,
      me: this.#opts.auth.user,
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
      this.#rooms.setRooms(await this.#opts.api.listRooms());
      this.#rooms.setError('');
    } catch (err) {
      if (!this.#ended) this.#rooms.setError(`Could not load the rooms. ${describe(err)}`);
    }
  }

  async #createRoom(name: string, description: string): Promise<void> {
    const room: Room = await this.#opts.api.createRoom(name, description || undefined);
    this.#rooms.upsert(room);
    location.hash = roomHref(room.id);
  }

  #showState(state: ConnectionState): void {
    this.#status.textContent = stateLabel[state];
    this.#status.dataset.state = state;
    this.#banner.hidden = state !== 'offline';
    this.#banner.textContent = 'You are offline. Reconnecting… Messages you send will go out when the connection is back.';
  }
}
