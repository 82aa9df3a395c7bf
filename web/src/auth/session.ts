import { authResponseSchema, type AuthResponse } from '@chat/contract';

const KEY = 'chat.session';

/** The signed-in user and token, kept in localStorage so a reload stays signed in. */
export const session = {
  load(): AuthResponse | null {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    try {
      const parsed = authResponseSchema.safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
    } catch (err) {
      console.warn('discarding an unreadable stored session', err);
    }
    localStorage.removeItem(KEY);
    return null;
  },
  save(value: AuthResponse): void {
    localStorage.setItem(KEY, JSON.stringify(value));
  },
  clear(): void {
    localStorage.removeItem(KEY);
  },
  /** Calls back when another tab signs in or out. */
  onChange(callback: () => void): void {
    window.addEventListener('storage', (event) => {
      if (event.key === KEY || event.key === null) callback();
    });
  },
};
