import type { Message, ReactionSummary } from '@chat/contract';
import { h } from '../ui/dom.js';
import { PICKER_EMOJI } from './reactions.js';

export interface ReactionActions {
  /** Adds (`on`) or takes back this user's reaction with `emoji` on a message. */
  react(message: Message, emoji: string, on: boolean): void;
}

const people = (n: number): string => `${n} ${n === 1 ? 'reaction' : 'reactions'}`;

/**
 * The chips under a message (emoji and count, pressed when this user is among them; a click
 * toggles) and a button that opens a small picker. `data-sig` tells a re-render whether
 * anything changed.
 */
export function renderReactions(m: Message, reactions: readonly ReactionSummary[], actions: ReactionActions): HTMLElement {
  const chips = reactions.map((r) =>
    h(
      'button',
      {
        type: 'button', class: 'reaction', 'aria-pressed': String(r.reacted), 'data-emoji': r.emoji,
        'aria-label': `${r.emoji} ${people(r.count)}${r.reacted ? ', yours included: remove yours' : ': add yours'}`,
        onclick: () => actions.react(m, r.emoji, !r.reacted),
      },
      h('span', { class: 'reaction__emoji', 'aria-hidden': 'true' }, r.emoji),
      h('span', { class: 'reaction__count', 'aria-hidden': 'true' }, r.count),
    ),
  );
  const pickerId = `picker-${m.id}`;
  const picker = h(
    'div',
    { id: pickerId, class: 'picker', role: 'group', 'aria-label': 'Pick a reaction', hidden: true },
    ...PICKER_EMOJI.map((emoji) => {
      const mine = reactions.some((r) => r.emoji === emoji && r.reacted);
      return h('button', { type: 'button', class: 'picker__emoji', 'aria-label': `React with ${emoji}`, 'aria-pressed': String(mine), onclick: () => {
        show(false);
        actions.react(m, emoji, !mine);
      } }, emoji);
    }),
  );
  const add = h('button', {
    type: 'button', class: 'reaction reaction--add', 'aria-label': 'Add a reaction', 'aria-controls': pickerId, 'aria-expanded': 'false',
    onclick: () => show(picker.hidden),
  }, h('span', { 'aria-hidden': 'true' }, '☺+'));
  const show = (open: boolean): void => {
    picker.hidden = !open;
    add.setAttribute('aria-expanded', String(open));
    if (open) picker.querySelector('button')?.focus();
  };
  picker.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    show(false);
    add.focus();
  });
  const sig = reactions.map((r) => `${r.emoji}${r.count}${r.reacted ? '+' : ''}`).join(' ');
  return h('div', { class: `reactions${reactions.length ? '' : ' reactions--empty'}`, 'data-sig': sig }, ...chips, add, picker);
}
