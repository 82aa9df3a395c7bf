import type { ChatClient, ChatError, ConnectionState } from '@chat/client';
import type { Room, UserRef } from '@chat/contract';
import { describe } from './api/errors.js';
import { RoomController } from './rooms/room.controller.js';
import { RoomListView, roomHref } from './rooms/room-list.view.js';
import { titleWithUnread } from './rooms/unread.js';
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
/** The server stores a read cursor at most once a second: a list read sooner after a read elsewhere may not have it yet. */
const AFTER_READ_REFRESH_MS = 1_500;
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
  /** Back in view: what the open room shows now counts as seen, and the badges may have moved meanwhile. */
  readonly #onVisibility = () => {
    if (document.visibilityState !== 'visible') return;
    this.#room?.settled();
    void this.#loadRooms();
  };
  readonly #unsubscribe: (() => void)[];
  #room: RoomController | null = null;
  #reloadTimer: ReturnType<typeof setTimeout> | undefined;
  #ended = false;
  #connectedOnce = false;

  constructor(options: ChatAppOptions) {
    this.#opts = options;
    this.#chat = options.chat;
    const { user } = options;
    this.#rooms = new RoomListView({
      create: (name, description) => this.#createRoom(name, description),
      unreadChanged: (total) => {
        if (!this.#ended) document.title = titleWithUnread(total);
      },
    });
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
      chat.on('reaction', (event) => this.#room?.onReaction(event)),
      chat.on('room:read', (event) => {
        if (event.roomId === this.#room?.roomId) this.#room.onReadElsewhere(event);
        else if (this.#rooms.setRead(event.roomId, { readSeq: event.readSeq }) === 'stale') this.#loadRoomsSoon();
      }),
      // Background trouble the SDK handles itself (a malformed event, a refused rejoin): for whoever debugs.
      chat.on('error', (err) => console.warn('chat:', err.code, err.message)),
    ];
    this.#showState('connecting');
    // A refused token ends the session (session:ended above); other refusals and outages are retried by the SDK.
    chat.connect().catch((err: unknown) => console.debug('connect refused', err));

    window.addEventListener('hashchange', this.#onHashChange);
    document.addEventListener('visibilitychange', this.#onVisibility);
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
    clearTimeout(this.#reloadTimer);
    window.removeEventListener('hashchange', this.#onHashChange);
    document.removeEventListener('visibilitychange', this.#onVisibility);
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
      onRoomChanged: (r, joined) => this.#rooms.upsert(r, joined),
      unreadAtOpen: async () => {
        await this.#loadRooms();
        const item = this.#rooms.get(roomId);
        return item?.joined ? { readSeq: item.readSeq ?? 0, lastSeq: item.lastSeq ?? 0 } : undefined;
      },
      // Not read again when the count is unknown (the open room holds too few messages): a read list
      // has the open room report again, and would ask once more. The periodic refresh catches up.
      onRead: (id, state) => void this.#rooms.setRead(id, state),
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
      // The open room knows its count better than the list (messages seen since the server stored the cursor).
      this.#room?.reportRead();
      this.#rooms.setError('');
    } catch (err) {
      if (!this.#ended) this.#rooms.setError(`Could not load the rooms. ${describe(err)}`);
    }
  }

  /** One list read for a burst of reads on another device, once their cursors are likely stored. */
  #loadRoomsSoon(): void {
    if (this.#reloadTimer !== undefined) return;
    this.#reloadTimer = setTimeout(() => {
      this.#reloadTimer = undefined;
      void this.#loadRooms();
    }, AFTER_READ_REFRESH_MS);
  }

  async #createRoom(name: string, description: string): Promise<void> {
    const room: Room = await this.#chat.rest.createRoom({ body: description ? { name, description } : { name } });
    this.#rooms.upsert(room, true);
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
