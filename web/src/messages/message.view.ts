import type { Message, ReactionSummary, UserRef } from '@chat/contract';
import { avatar, formatTime, h } from '../ui/dom.js';
import type { AiStream } from './ai-streams.js';
import { renderReactions, type ReactionActions } from './reactions.view.js';
import type { LocalNote, PendingMessage } from './timeline.js';

export interface PendingActions {
  retry(clientId: string): void;
  discard(clientId: string): void;
}

const time = (iso: string) => h('time', { class: 'msg__time', datetime: iso, title: new Date(iso).toLocaleString() }, formatTime(iso));

export interface MessageLook {
  /** Follows a message of the same sender closely: no avatar, name or time of its own (the name stays for screen readers). */
  grouped: boolean;
  reactions: readonly ReactionSummary[];
}

/** A stored message: chat, bot or system. All text goes in as text nodes. */
export function renderMessage(m: Message, myUserId: string, look: MessageLook, actions: ReactionActions): HTMLLIElement {
  const data = { 'data-seq': m.seq, 'data-id': m.id };
  if (m.type === 'system' || m.sender === null) {
    return h('li', { class: 'msg msg--system', ...data }, h('p', { class: 'msg__text' }, m.content), time(m.timestamp));
  }
  const bot = m.type === 'bot';
  const own = !bot && m.sender.id === myUserId;
  const name = m.sender.username;
  const grouped = look.grouped ? ' msg--grouped' : '';
  return h(
    'li',
    { class: `msg ${bot ? 'msg--bot' : 'msg--chat'}${own ? ' msg--own' : ''}${grouped}`, ...data },
    look.grouped ? h('span', { class: 'avatar avatar--spacer', 'aria-hidden': 'true' }) : avatar(name, bot ? 'avatar--bot' : ''),
    h(
      'div',
      { class: 'msg__bubble', title: look.grouped ? new Date(m.timestamp).toLocaleString() : undefined },
      h(
        'div',
        { class: `msg__meta${look.grouped ? ' sr-only' : ''}` },
        h('span', { class: 'msg__author' }, own ? `${name} (you)` : name),
        bot ? h('span', { class: 'badge badge--bot' }, 'bot') : null,
        time(m.timestamp),
      ),
      h('p', { class: 'msg__text' }, m.content),
      renderReactions(m, look.reactions, actions),
    ),
  );
}

/** Puts a message's current reactions in place of those it shows, when they changed. */
export function updateReactions(el: HTMLElement, m: Message, reactions: readonly ReactionSummary[], actions: ReactionActions): void {
  const shown = el.querySelector<HTMLElement>(':scope > .msg__bubble > .reactions');
  const next = renderReactions(m, reactions, actions);
  if (shown && shown.dataset.sig !== next.dataset.sig) shown.replaceWith(next);
}

const pendingLabel: Record<PendingMessage['state'], string> = {
  sending: 'Sending…',
  waiting: 'Waiting for the connection…',
  unconfirmed: 'Not confirmed yet',
  failed: 'Not sent',
};

/** One of our sends the server has not acknowledged (or refused). */
export function renderPending(p: PendingMessage, me: UserRef, actions: PendingActions): HTMLLIElement {
  const failed = p.state === 'failed';
  const unconfirmed = p.state === 'unconfirmed';
  return h(
    'li',
    {
      class: `msg msg--chat msg--own msg--pending${failed ? ' msg--failed' : ''}${unconfirmed ? ' msg--unconfirmed' : ''}`,
      'data-client-id': p.clientId,
      'aria-busy': failed ? undefined : 'true',
    },
    avatar(me.username),
    h(
      'div',
      { class: 'msg__bubble' },
      h('div', { class: 'msg__meta' }, h('span', { class: 'msg__author' }, `${me.username} (you)`), h('span', { class: 'msg__status' }, pendingLabel[p.state])),
      h('p', { class: 'msg__text' }, p.content),
      unconfirmed ? h('p', { class: 'msg__hint' }, 'The server has not confirmed it yet. It is sent again automatically, and can never appear twice.') : null,
      failed
        ? h(
            'div',
            { class: 'msg__failure' },
            h('p', { class: 'msg__error', role: 'alert' }, p.error ?? 'The server refused this message.'),
            p.retryable ? h('button', { type: 'button', class: 'btn btn--small', onclick: () => actions.retry(p.clientId) }, 'Retry') : null,
            h('button', { type: 'button', class: 'btn btn--small btn--ghost', onclick: () => actions.discard(p.clientId) }, 'Dismiss'),
          )
        : null,
    ),
  );
}

/** A note only this user sees: a command's receipt or the /help text. */
export function renderNote(note: LocalNote): HTMLLIElement {
  return h(
    'li',
    { class: 'msg msg--note', 'data-note': note.id },
    h('p', { class: 'msg__text' }, note.text),
    h('small', { class: 'msg__hint' }, 'Only you can see this.'),
  );
}

/** An AI answer while it streams; `updateStream` refreshes its text in place. */
export function renderStream(stream: AiStream): HTMLLIElement {
  return h(
    'li',
    { class: 'msg msg--bot msg--streaming', 'data-request-id': stream.requestId, 'aria-busy': 'true' },
    avatar('ai', 'avatar--bot'),
    h(
      'div',
      { class: 'msg__bubble' },
      h('div', { class: 'msg__meta' }, h('span', { class: 'msg__author' }, 'ai'), h('span', { class: 'badge badge--bot' }, 'bot'), h('span', { class: 'msg__status' }, 'writing…')),
      h('p', { class: 'msg__text' }, stream.text),
    ),
  );
}

export function updateStream(el: HTMLElement, stream: AiStream): void {
  const text = el.querySelector('.msg__text');
  if (text && text.textContent !== stream.text) text.textContent = stream.text;
}
