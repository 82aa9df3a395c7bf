import type { Room } from '@chat/contract';
import { describe } from '../api/errors.js';
import { h, replaceChildren } from '../ui/dom.js';

export interface RoomListActions {
  /** Creates a room and opens it; throws an ApiError to show in the form. */
  create(name: string, description: string): Promise<void>;
}

export const roomHref = (roomId: string): string => `#/rooms/${encodeURIComponent(roomId)}`;
const membersText = (n: number): string => `${n} member${n === 1 ? '' : 's'}`;

/** The sidebar: every room with its member count, and the "new room" form. */
export class RoomListView {
  readonly element: HTMLElement;
  readonly #rooms = new Map<string, Room>();
  readonly #list = h('ul', { class: 'room-list' });
  readonly #empty = h('p', { class: 'muted sidebar__empty' }, 'No rooms yet. Create the first one.');
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
      this.#list,
      this.#empty,
    );
  }

  setRooms(rooms: Room[]): void {
    this.#rooms.clear();
    for (const room of rooms) this.#rooms.set(room.id, room);
    this.#render();
  }

  upsert(room: Room): void {
    const known = this.#rooms.get(room.id);
    if (known && known.memberCount === room.memberCount && known.name === room.name && known.description === room.description) return;
    this.#rooms.set(room.id, room);
    this.#render();
  }

  setActive(roomId: string | null): void {
    this.#activeId = roomId;
    for (const link of this.#list.querySelectorAll('a')) {
      if (link.dataset.roomId === roomId) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  setError(text: string): void {
    this.#error.textContent = text;
  }

  #render(): void {
    const rooms = [...this.#rooms.values()].sort((a, b) => a.name.localeCompare(b.name));
    replaceChildren(
      this.#list,
      ...rooms.map((room) =>
        h(
          'li',
          {},
          h(
            'a',
            { class: 'room-link', href: roomHref(room.id), 'data-room-id': room.id, 'aria-current': room.id === this.#activeId ? 'page' : undefined },
            h('span', { class: 'room-link__name' }, h('span', { class: 'room-link__hash', 'aria-hidden': 'true' }, '#'), room.name),
            h('span', { class: 'room-link__count' }, membersText(room.memberCount)),
            room.description ? h('span', { class: 'room-link__description' }, room.description) : null,
          ),
        ),
      ),
    );
    this.#empty.hidden = rooms.length > 0;
  }

  #showForm(show: boolean): void {
    this.#form.hidden = !show;
    this.#toggle.setAttribute('aria-expanded', String(show));
    if (show) this.#form.querySelector('input')?.focus();
  }
}
