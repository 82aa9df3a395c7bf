import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { repoRoot } from './build.js';

/** Debian's chromium (scripts/ensure-deps.sh installs it); a browser is never downloaded. */
const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-deps.sh --browser (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const DESKTOP = { width: 1120, height: 720 };
export const PHONE = { width: 390, height: 844 };

export async function newPage(browser: Browser, baseURL: string, viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL, viewport, deviceScaleFactor: 1, reducedMotion: 'reduce', colorScheme: 'light' });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  return { context, page };
}

/** Saves a screenshot under docs/screenshots/ when UPDATE_SCREENSHOTS=1 (so test runs leave the tree clean). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  const dir = join(repoRoot, 'docs/screenshots');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

/** Registers through the sign-in screen and waits for the signed-in app. */
export async function register(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/');
  await page.locator('.tabs').getByRole('button', { name: 'Create account' }).click();
  await fillCredentials(page, username, password);
  await page.locator('.topbar__name', { hasText: username }).waitFor();
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/');
  await fillCredentials(page, username, password);
  await page.locator('.topbar__name', { hasText: username }).waitFor();
}

async function fillCredentials(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.locator('.auth__form button[type=submit]').click();
}

export function roomLink(page: Page, name: string) {
  return page.locator('.room-link', { has: page.locator('.room-link__name', { hasText: new RegExp(`^#${name}$`) }) });
}

/** Types and sends a message with the Enter key. */
export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

/** The text of every stored message in the open room, with its seq, in DOM order. */
export function timeline(page: Page): Promise<{ seq: number; text: string }[]> {
  return page.$$eval('.timeline [data-seq]', (items) =>
    items.map((li) => ({ seq: Number(li.getAttribute('data-seq')), text: li.querySelector('.msg__text')?.textContent ?? '' })),
  );
}

/** Makes every page of `context` open signed in as `auth` (the session the client keeps in localStorage). */
export async function storeSession(context: BrowserContext, auth: { token: string; user: { id: string; username: string; createdAt: string } }): Promise<void> {
  await context.addInitScript({ content: `localStorage.setItem('chat.session', ${JSON.stringify(JSON.stringify(auth))})` });
}

/** The session the client keeps in localStorage, or null. */
export async function storedSession(page: Page): Promise<string | null> {
  const value: unknown = await page.evaluate("localStorage.getItem('chat.session')");
  return typeof value === 'string' ? value : null;
}

/** A message text in the open room's timeline. */
export function messageText(page: Page, text: string) {
  return page.locator('.timeline .msg__text').getByText(text, { exact: true });
}

/** Every stored message once, in seq order, with no seq missing; returns them. */
export async function expectGapless(page: Page): Promise<{ seq: number; text: string }[]> {
  const items = await timeline(page);
  const seqs = items.map((i) => i.seq);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => (seqs[0] ?? 1) + i));
  return items;
}
