/**
 * The one way this client builds DOM. Children that are strings become text
 * nodes, so user and bot text can never be parsed as HTML; attributes go
 * through setAttribute and `on*` keys must be functions (never strings).
 */
export type Child = Node | string | number | null | undefined | false;
type Listener = (event: Event) => void;
export type Props = Record<string, string | number | boolean | Listener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on')) {
      if (typeof value !== 'function') throw new TypeError(`h(): ${key} must be a function`);
      el.addEventListener(key.slice(2), value);
    } else if (typeof value === 'function') {
      throw new TypeError(`h(): ${key} cannot be a function`);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Element, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/** Replaces an element's children (strings as text nodes). */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A stable colour hue for a name, for avatars. */
export function hueOf(name: string): number {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash % 360;
}

export function avatar(name: string, extraClass = ''): HTMLElement {
  const el = h('span', { class: `avatar ${extraClass}`.trim(), 'aria-hidden': 'true' }, name.slice(0, 1).toUpperCase());
  el.style.setProperty('--hue', String(hueOf(name)));
  return el;
}

/** "14:05" today, "Nov 20, 14:05" on other days. */
export function formatTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const time: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit' };
  return date.toDateString() === now.toDateString()
    ? date.toLocaleTimeString([], time)
    : date.toLocaleString([], { ...time, month: 'short', day: 'numeric' });
}
