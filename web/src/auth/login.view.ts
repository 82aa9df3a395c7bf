import type { ChatClient } from '@chat/client';
import { credentialsBodySchema, type AuthResponse } from '@chat/contract';
import { describe, errorCode } from '../api/errors.js';
import { h, replaceChildren } from '../ui/dom.js';

export interface LoginViewOptions {
  /** A client without a token: signing in gives it one. */
  chat: ChatClient;
  /** Shown above the form, e.g. why the user was signed out. */
  notice?: string;
  onSignedIn(chat: ChatClient, auth: AuthResponse): void;
}

type Mode = 'login' | 'register';

/** Sign in / create account, on one card. */
export function renderLoginView(root: HTMLElement, options: LoginViewOptions): void {
  let mode: Mode = 'login';

  const title = h('h1', { id: 'auth-title', class: 'auth__title' });
  const loginTab = h('button', { type: 'button', class: 'tab', onclick: () => setMode('login') }, 'Sign in');
  const registerTab = h('button', { type: 'button', class: 'tab', onclick: () => setMode('register') }, 'Create account');
  const username = h('input', { id: 'auth-username', name: 'username', required: true, maxlength: 50, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { id: 'auth-password', name: 'password', type: 'password', required: true, maxlength: 128 });
  const usernameHint = h('small', { id: 'auth-username-hint', class: 'hint' }, '3–50 letters, digits or _');
  const passwordHint = h('small', { id: 'auth-password-hint', class: 'hint' }, 'At least 8 characters');
  const error = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn--primary btn--block' });

  const form = h(
    'form',
    { class: 'auth__form', novalidate: true, 'aria-labelledby': 'auth-title', onsubmit: (e) => void onSubmit(e) },
    h('div', { class: 'field' }, h('label', { for: 'auth-username' }, 'Username'), username, usernameHint),
    h('div', { class: 'field' }, h('label', { for: 'auth-password' }, 'Password'), password, passwordHint),
    error,
    submit,
  );

  replaceChildren(
    root,
    h(
      'main',
      { class: 'auth' },
      h(
        'div',
        { class: 'auth__card' },
        h('div', { class: 'brand brand--large' }, h('span', { class: 'brand__mark', 'aria-hidden': 'true' }, '#'), 'Chat'),
        title,
        options.notice ? h('p', { class: 'notice', role: 'status' }, options.notice) : null,
        h('div', { class: 'tabs', role: 'group', 'aria-label': 'Choose' }, loginTab, registerTab),
        form,
      ),
    ),
  );

  function setMode(next: Mode): void {
    mode = next;
    const registering = mode === 'register';
    title.textContent = registering ? 'Create your account' : 'Welcome back';
    submit.textContent = registering ? 'Create account' : 'Sign in';
    loginTab.setAttribute('aria-pressed', String(!registering));
    registerTab.setAttribute('aria-pressed', String(registering));
    username.setAttribute('autocomplete', 'username');
    password.setAttribute('autocomplete', registering ? 'new-password' : 'current-password');
    usernameHint.hidden = !registering;
    passwordHint.hidden = !registering;
    for (const [input, hint] of [[username, usernameHint], [password, passwordHint]] as const) {
      if (registering) input.setAttribute('aria-describedby', hint.id);
      else input.removeAttribute('aria-describedby');
    }
    error.textContent = '';
  }

  async function onSubmit(event: Event): Promise<void> {
    event.preventDefault();
    error.textContent = '';
    const body = { username: username.value.trim(), password: password.value };
    if (mode === 'register') {
      const checked = credentialsBodySchema.safeParse(body);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        const field = issue?.path[0] === 'password' ? 'Password' : 'Username';
        error.textContent = `${field} ${issue?.message ?? 'is not valid'}.`;
        return;
      }
    } else if (!body.username || !body.password) {
      error.textContent = 'Enter your username and password.';
      return;
    }

    submit.disabled = true;
    try {
      const { chat } = options;
      const auth = mode === 'register' ? await chat.register(body.username, body.password) : await chat.login(body.username, body.password);
      options.onSignedIn(chat, auth);
    } catch (err) {
      error.textContent = mode === 'login' && errorCode(err) === 'unauthorized' ? 'Wrong username or password.' : describe(err);
      password.focus();
    } finally {
      submit.disabled = false;
    }
  }

  setMode('login');
  username.focus();
}
