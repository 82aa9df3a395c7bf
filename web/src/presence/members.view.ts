import { avatar, h, replaceChildren } from '../ui/dom.js';
import type { Members } from './members.js';

/** The member list with online dots; online members first. */
export function renderMembers(list: HTMLElement, members: Members, myUserId: string): void {
  replaceChildren(
    list,
    ...members.list().map((m) =>
      h(
        'li',
        { class: `member${m.online ? ' member--online' : ''}`, 'data-user-id': m.id },
        h('span', { class: 'member__avatar' }, avatar(m.username), h('span', { class: 'member__dot', 'aria-hidden': 'true' })),
        h('span', { class: 'member__name' }, m.username, m.id === myUserId ? ' (you)' : ''),
        m.role === 'owner' ? h('span', { class: 'badge' }, 'owner') : null,
        h('span', { class: 'sr-only' }, m.online ? ', online' : ', offline'),
      ),
    ),
  );
}
