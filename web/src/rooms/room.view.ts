import { MESSAGE_MAX_LENGTH, type Room, type UserRef } from '@chat/contract';
import { TimelineView, type TimelineActions } from '../messages/timeline.view.js';
import type { Members } from '../presence/members.js';
import { renderMembers } from '../presence/members.view.js';
import { h, replaceChildren } from '../ui/dom.js';

export interface RoomViewActions extends TimelineActions {
  send(content: string): void;
  /** Every edit of the message box; `empty` when it was cleared. */
  edit(empty: boolean): void;
  blur(): void;
  join(): void;
  leave(): void;
  back(): void;
}

/** The room screen: header, message list, members, typing line and message box. */
export class RoomView {
  readonly element: HTMLElement;
  readonly timeline: TimelineView;
  readonly #title = h('h2', { id: 'room-title', class: 'room__title' });
  readonly #description = h('p', { class: 'room__description' });
  readonly #membersToggle: HTMLButtonElement;
  readonly #leave: HTMLButtonElement;
  readonly #body: HTMLElement;
  readonly #members = h('aside', { id: 'room-members', class: 'members', 'aria-label': 'Members' });
  readonly #memberList = h('ul', { class: 'members__list' });
  readonly #typing = h('p', { class: 'typing', 'aria-live': 'polite' });
  readonly #input: HTMLTextAreaElement;
  readonly #composerError = h('p', { class: 'form-error composer__error', role: 'alert' });
  readonly #composer: HTMLFormElement;

  constructor(private readonly me: UserRef, private readonly actions: RoomViewActions) {
    this.timeline = new TimelineView(me, actions);
    this.#membersToggle = h('button', {
      type: 'button', class: 'btn btn--ghost btn--small members-toggle', 'aria-controls': 'room-members', 'aria-expanded': 'false',
      onclick: () => this.#toggleMembers(),
    });
    this.#leave = h('button', { type: 'button', class: 'btn btn--ghost btn--small', onclick: () => actions.leave() }, 'Leave');
    this.#input = h('textarea', {
      id: 'composer-input', class: 'composer__input', rows: 1, maxlength: MESSAGE_MAX_LENGTH, placeholder: 'Message · /help for commands',
      autocomplete: 'off', 'aria-describedby': 'composer-help',
    });
    this.#input.addEventListener('input', () => {
      this.#autosize();
      this.#composerError.textContent = '';
      actions.edit(this.#input.value.trim() === '');
    });
    this.#input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.#composer.requestSubmit();
      }
    });
    this.#input.addEventListener('blur', () => actions.blur());
    this.#composer = h(
      'form',
      { class: 'composer', onsubmit: (e) => this.#submit(e) },
      h('label', { for: 'composer-input', class: 'sr-only' }, 'Message'),
      this.#input,
      h('button', { type: 'submit', class: 'btn btn--primary composer__send' }, 'Send'),
      h('p', { id: 'composer-help', class: 'sr-only' }, 'Enter sends, Shift+Enter starts a new line. /help lists the commands.'),
    );
    this.#members.append(h('h3', { class: 'members__title' }, 'Members'), this.#memberList);
    this.#body = h('div', { class: 'room__body' });
    this.element = h(
      'section',
      { class: 'room', 'aria-labelledby': 'room-title' },
      h(
        'header',
        { class: 'room__header' },
        h('button', { type: 'button', class: 'btn btn--ghost btn--icon room__back', 'aria-label': 'Back to rooms', onclick: () => actions.back() }, '←'),
        h('div', { class: 'room__heading' }, this.#title, this.#description),
        this.#membersToggle,
        this.#leave,
      ),
      this.#body,
    );
    this.showLoading();
  }

  setRoom(room: Room): void {
    this.#title.textContent = `# ${room.name}`;
    this.#description.textContent = room.description || `${room.memberCount} member${room.memberCount === 1 ? '' : 's'}`;
  }

  showLoading(): void {
    this.#leave.hidden = true;
    this.#membersToggle.hidden = true;
    replaceChildren(this.#body, h('p', { class: 'room__placeholder', role: 'status' }, 'Loading…'));
  }

  /** The room screen proper, once we know we are a member. */
  showChat(): void {
    this.#leave.hidden = false;
    this.#membersToggle.hidden = false;
    replaceChildren(this.#body, h('div', { class: 'room__main' }, this.timeline.element, this.#typing, this.#composerError, this.#composer), this.#members);
  }

  showJoinPrompt(room: Room): void {
    this.#leave.hidden = true;
    this.#membersToggle.hidden = true;
    const button = h('button', { type: 'button', class: 'btn btn--primary', onclick: () => { button.disabled = true; this.actions.join(); } }, 'Join room');
    replaceChildren(
      this.#body,
      h(
        'div',
        { class: 'room__placeholder join-prompt' },
        h('p', {}, `You are not a member of # ${room.name} yet.`),
        h('p', { class: 'muted' }, `${room.memberCount} member${room.memberCount === 1 ? '' : 's'}`),
        button,
      ),
    );
    button.focus();
  }

  showError(text: string): void {
    replaceChildren(this.#body, h('p', { class: 'room__placeholder form-error', role: 'alert' }, text));
  }

  setMembers(members: Members): void {
    renderMembers(this.#memberList, members, this.me.id);
    this.#membersToggle.textContent = `${members.onlineCount} online`;
  }

  setTyping(text: string): void {
    this.#typing.textContent = text;
  }

  setComposerError(text: string): void {
    this.#composerError.textContent = text;
  }

  /** Takes `text` away if it is what the composer still shows (a later error stays). */
  clearComposerError(text: string): void {
    if (this.#composerError.textContent === text) this.#composerError.textContent = '';
  }

  /** Puts refused text back in an empty box so it can be fixed. */
  restoreDraft(content: string): void {
    if (this.#input.value.trim() === '') this.#input.value = content;
    this.#autosize();
  }

  focusComposer(): void {
    this.#input.focus();
  }

  #submit(event: Event): void {
    event.preventDefault();
    const content = this.#input.value.trim();
    if (!content) return;
    this.#input.value = '';
    this.#autosize();
    this.#composerError.textContent = '';
    this.actions.send(content);
  }

  #autosize(): void {
    this.#input.style.height = 'auto';
    this.#input.style.height = `${Math.min(this.#input.scrollHeight, 160)}px`;
  }

  #toggleMembers(): void {
    const open = this.element.classList.toggle('room--members-open');
    this.#membersToggle.setAttribute('aria-expanded', String(open));
  }
}
