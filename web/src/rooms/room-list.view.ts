import type { Room, RoomListItem } from '@chat/contract';
import { describe } from '../api/errors.js';
import { h, replaceChildren } from '../ui/dom.js';
import { totalUnread } from './unread.js';

export interface RoomListActions {
  /** Creates a room and opens it; throws an ApiError to show in the form. */
  create(name: string, description: string): Promise<void>;
  /** The unread total of every joined room changed (for the tab's title). */
  unreadChanged(total: number): void;
}

/** A cursor move the list could not turn into a count (older messages unknown): read the list again. */
export type ReadUpdate = 'applied' | 'stale';

export const roomHref = (roomId: string): string => `#/rooms/${encodeURIComponent(roomId)}`;
const membersText = (n: number): string => `${n} member${n === 1 ? '' : 's'}`;

/**
 * The sidebar: the rooms this user joined (with unread badges) apart from the rooms they can
 * join, each with its member count, and the "new room" form.
 */
export class RoomListView {
  readonly element: HTMLElement;
  readonly #rooms = new Map<string, RoomListItem>();
  /** The highest cursor seen per room: a list read while the server's coalesced write is due must not bring a badge back. */
  readonly #reads = new Map<string, number>();
  readonly #joinedList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-joined' });
  readonly #otherList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-other' });
  readonly #joinedTitle = h('h3', { id: 'rooms-joined', class: 'sidebar__section' }, 'Your rooms');
  readonly #otherTitle = h('h3', { id: 'rooms-other', class: 'sidebar__section' }, 'Other rooms');
  readonly #noneJoined = h('p', { class: 'muted sidebar__empty' }, 'Join a room below, or create one.');
  readonly #empty = h('p', { class: 'muted sidebar__empty' }, 'No rooms yet. Create the first one.');
  #total = 0;
  readonly #error = h('p', { class: 'form-error', role: 'alert' });
  readonly #form: HTMLFormElement;
  readonly #toggle: HTMLButtonElement;
  #activeId: string | null = null;

  constructor(private readonly actions: RoomListActions) {
    const name = h('input', { id: 'new-room-name', name: 'name', required: true, maxlength: 64, autocomplete: 'off' });
    const description = h('input', { id: 'new-room-description', name: 'description', maxlength: 500, autocomplete: 'off' });
    const formError = h('p', { class: 'form-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'btn btn--primary btn--small' }, 'Create');
    this.#form = h(
      'form',
      {
        id: 'new-room', class: 'new-room', hidden: true, 'aria-label': 'New room',
        onsubmit: async (e) => {
          e.preventDefault();
          formError.textContent = '';
          if (!name.value.trim()) {
            formError.textContent = 'Give the room a name.';
            return name.focus();
          }
          submit.disabled = true;
          try {
            await this.actions.create(name.value.trim(), description.value.trim());
            this.#form.reset();
            this.#showForm(false);
          } catch (err) {
            formError.textContent = describe(err);
            name.focus();
          } finally {
            submit.disabled = false;
          }
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'new-room-name' }, 'Name'), name),
      h('div', { class: 'field' }, h('label', { for: 'new-room-description' }, 'Description (optional)'), description),
      formError,
      h('div', { class: 'new-room__actions' }, submit, h('button', { type: 'button', class: 'btn btn--ghost btn--small', onclick: () => this.#showForm(false) }, 'Cancel')),
    );
    this.#toggle = h(
      'button',
      { type: 'button', class: 'btn btn--small', 'aria-controls': 'new-room', 'aria-expanded': 'false', onclick: () => this.#showForm(this.#form.hidden) },
      '+ New room',
    );
    this.element = h(
      'nav',
      { class: 'sidebar', 'aria-labelledby': 'rooms-title' },
      h('div', { class: 'sidebar__head' }, h('h2', { id: 'rooms-title', class: 'sidebar__title' }, 'Rooms'), this.#toggle),
      this.#form,
      this.#error,
      this.#joinedTitle,
      this.#joinedList,
      this.#noneJoined,
      this.#otherTitle,
      this.#otherList,
      this.#empty,
    );
  }

  get(roomId: string): RoomListItem | undefined {
    return this.#rooms.get(roomId);
  }

  setRooms(rooms: RoomListItem[]): void {
    this.#rooms.clear();
    for (const room of rooms) {
      const read = this.#reads.get(room.id) ?? 0;
      // Read here up to its last message already: the server's copy is due within a second.
      const caughtUp = room.joined && read > (room.readSeq ?? 0) && read >= (room.lastSeq ?? 0);
      this.#rooms.set(room.id, caughtUp ? { ...room, readSeq: read, unread: 0 } : room);
    }
    this.#render();
  }

  /** A fresher copy of a room; `joined` when known (else it stays as listed). */
  upsert(room: Room, joined?: boolean): void {
    const known = this.#rooms.get(room.id);
    const isJoined = joined ?? known?.joined ?? false;
    if (known && known.joined === isJoined && known.memberCount === room.memberCount && known.name === room.name && known.description === room.description) return;
    const reading = isJoined ? { lastSeq: known?.lastSeq ?? 0, readSeq: known?.readSeq ?? 0, unread: known?.unread ?? 0 } : {};
    this.#rooms.set(room.id, { ...room, joined: isJoined, ...reading });
    this.#render();
  }

  /**
   * The cursor of a joined room moved (or its count is known better, from the open room):
   * `unread` when known; without it the badge clears when the cursor reached the last message
   * known, else the answer is `stale`.
   */
  setRead(roomId: string, read: { readSeq: number; lastSeq?: number; unread?: number | undefined }): ReadUpdate {
    this.#reads.set(roomId, Math.max(this.#reads.get(roomId) ?? 0, read.readSeq));
    const room = this.#rooms.get(roomId);
    if (!room?.joined) return 'applied';
    const lastSeq = Math.max(room.lastSeq ?? 0, read.lastSeq ?? 0);
    const readSeq = Math.max(room.readSeq ?? 0, read.readSeq);
    const unread = read.unread ?? (readSeq >= lastSeq ? 0 : undefined);
    if (unread === undefined) return 'stale';
    if (room.lastSeq === lastSeq && room.readSeq === readSeq && room.unread === unread) return 'applied';
    this.#rooms.set(roomId, { ...room, lastSeq, readSeq, unread });
    this.#render();
    return 'applied';
  }

  setActive(roomId: string | null): void {
    this.#activeId = roomId;
    for (const link of this.element.querySelectorAll<HTMLAnchorElement>('a.room-link')) {
      if (link.dataset.roomId === roomId) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  setError(text: string): void {
    this.#error.textContent = text;
  }

  #render(): void {
    const rooms = [...this.#rooms.values()].sort((a, b) => a.name.localeCompare(b.name));
    const joined = rooms.filter((r) => r.joined);
    const other = rooms.filter((r) => !r.joined);
    replaceChildren(this.#joinedList, ...joined.map((room) => this.#item(room)));
    replaceChildren(this.#otherList, ...other.map((room) => this.#item(room)));
    this.#joinedTitle.hidden = this.#joinedList.hidden = rooms.length === 0;
    this.#noneJoined.hidden = rooms.length === 0 || joined.length > 0;
    this.#otherTitle.hidden = this.#otherList.hidden = other.length === 0;
    this.#empty.hidden = rooms.length > 0;
    const total = totalUnread(joined);
    if (total !== this.#total) {
      this.#total = total;
      this.actions.unreadChanged(total);
    }
  }

  #item(room: RoomListItem): HTMLLIElement {
    const unread = room.joined ? (room.unread ?? 0) : 0;
    return h(
      'li',
      {},
      h(
        'a',
        {
          class: `room-link${unread > 0 ? ' room-link--unread' : ''}`, href: roomHref(room.id), 'data-room-id': room.id,
          'aria-current': room.id === this.#activeId ? 'page' : undefined,
        },
        h('span', { class: 'room-link__name' }, h('span', { class: 'room-link__hash', 'aria-hidden': 'true' }, '#'), room.name),
        h('span', { class: 'room-link__count' }, membersText(room.memberCount)),
        unread > 0 ? h('span', { class: 'room-link__badge', 'aria-hidden': 'true' }, unread > 99 ? '99+' : unread) : null,
        unread > 0 ? h('span', { class: 'sr-only' }, `, ${unread} unread`) : null,
        room.description ? h('span', { class: 'room-link__description' }, room.description) : null,
      ),
    );
  }

  #showForm(show: boolean): void {
    this.#form.hidden = !show;
    this.#toggle.setAttribute('aria-expanded', String(show));
    if (show) this.#form.querySelector('input')?.focus();
  }
}
