import './styles.css';
import { ChatClient, type AuthResponse } from '@chat/client';
import { ChatApp } from './app.js';
import { errorCode } from './api/errors.js';
import { renderLoginView } from './auth/login.view.js';
import { session } from './auth/session.js';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app');

/** A client of this page's own origin (nginx serves `/api` and `/socket.io` beside it); one per signed-in session. */
const newClient = (token?: string): ChatClient =>
  new ChatClient({ baseUrl: '', ...(token ? { token } : {}), socket: { reconnectionDelay: 500, reconnectionDelayMax: 5_000 } });

function showLogin(notice?: string): void {
  document.title = 'Sign in · Chat';
  renderLoginView(root!, {
    chat: newClient(),
    notice,
    onSignedIn: (chat, auth) => {
      session.save(auth);
      showApp(chat, auth);
    },
  });
}

function showApp(chat: ChatClient, auth: AuthResponse): void {
  document.title = 'Chat';
  new ChatApp({
    root: root!,
    chat,
    user: auth.user,
    onSignedOut: (notice) => {
      session.clear();
      showLogin(notice);
    },
  });
}

async function start(): Promise<void> {
  const stored = session.load();
  if (!stored) return showLogin();
  const chat = newClient(stored.token);
  try {
    // The stored token may have expired or been revoked since the last visit.
    const user = await chat.rest.me();
    showApp(chat, { token: stored.token, user });
  } catch (err) {
    if (errorCode(err) === 'unauthorized') {
      session.clear();
      return showLogin('Your session has ended. Please sign in again.');
    }
    // The server is unreachable: open the app anyway; it reconnects on its own.
    showApp(chat, stored);
  }
}

// Another tab signed in or out: follow it.
session.onChange(() => location.reload());

void start();
