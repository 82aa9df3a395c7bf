import './styles.css';
import type { AuthResponse } from '@chat/contract';
import { ChatApp } from './app.js';
import { createApiClient } from './api/client.js';
import { ApiError } from './api/errors.js';
import { renderLoginView } from './auth/login.view.js';
import { session } from './auth/session.js';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app');

let app: ChatApp | null = null;

const api = createApiClient({
  token: () => session.load()?.token ?? null,
  onUnauthorized: () => app?.expire(),
});

function showLogin(notice?: string): void {
  app = null;
  document.title = 'Sign in · Chat';
  renderLoginView(root!, {
    api,
    notice,
    onSignedIn: (auth) => {
      session.save(auth);
      showApp(auth);
    },
  });
}

function showApp(auth: AuthResponse): void {
  document.title = 'Chat';
  app = new ChatApp({
    root: root!,
    auth,
    api,
    onSignedOut: (notice) => {
      session.clear();
      showLogin(notice);
    },
  });
}

async function start(): Promise<void> {
  const stored = session.load();
  if (!stored) return showLogin();
  try {
    // The stored token may have expired or been revoked since the last visit.
    const user = await api.me();
    showApp({ token: stored.token, user });
  } catch (err) {
    if (err instanceof ApiError && err.code === 'unauthorized') {
      session.clear();
      return showLogin('Your session has ended. Please sign in again.');
    }
    // The server is unreachable: open the app anyway; it reconnects on its own.
    showApp(stored);
  }
}

// Another tab signed in or out: follow it.
session.onChange(() => location.reload());

void start();
