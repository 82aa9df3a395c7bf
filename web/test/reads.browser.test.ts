import { ChatClient } from '@chat/client';
import type { AuthResponse, Room } from '@chat/contract';
import { startCluster, waitFor, type Cluster } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, messageText, newPage, PHONE, roomLink, screenshot, send, signIn, storeSession } from './support/browser.js';
import { ensureWebBuilt } from './support/build.js';
import { registerUser, roomWith } from './support/seed.js';

const PASSWORD = 'correct horse battery';

let cluster: Cluster | undefined;
let browser: Browser | undefined;
let dana: AuthResponse;
let erin: AuthResponse;
let news: Room;
/** dana on two devices (each with a login of its own), and erin, who writes to her. */
let laptop: Page;
let phone: Page;
let writer: Page;
const contexts: BrowserContext[] = [];

async function open(viewport?: typeof PHONE): Promise<Page> {
  const opened = await newPage(browser!, cluster!.url, viewport);
  contexts.push(opened.context);
  return opened.page;
}

const badge = (page: Page, room: string) => roomLink(page, room).locator('.room-link__badge');
/** Waits for the tab's title (polled from here: the page's Content-Security-Policy forbids waitForFunction's eval). */
const titleIs = (page: Page, title: string) => waitFor(`the title ${title}`, async () => (await page.title()) === title);
/** A chat message's list item in the open room. */
const message = (page: Page, text: string) => page.locator('.timeline .msg', { has: page.locator('.msg__text').getByText(text, { exact: true }) });
/** What the page sees of itself: a tab in the background, or in front again (as the browser tells it). */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate(`Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${hidden ? 'hidden' : 'visible'}' });
    document.dispatchEvent(new Event('visibilitychange'))`);
const chip = (page: Page, text: string, emoji: string) => message(page, text).locator(`.reaction[data-emoji="${emoji}"]`);

// One cluster with two gateways: the devices' sockets may sit on either, so a read on one
// reaches the other through Redis. The tests follow one story.
describe('unread badges, read cursors and reactions in a browser', () => {
  beforeAll(async () => {
    await ensureWebBuilt();
    cluster = await startCluster({ databaseUrl: await useTestDatabase(), gateways: 2, gatewayEnv: { RATE_LIMIT_MESSAGES: '200' } });
    browser = await launchChromium();
    [dana, erin] = [await registerUser(cluster.url, 'dana', PASSWORD), await registerUser(cluster.url, 'erin', PASSWORD)];
    news = await roomWith(cluster.url, 'news', erin, [dana]);
    await roomWith(cluster.url, 'lobby', dana, []);
    await roomWith(cluster.url, 'garden', erin, []);

    const erinContext = await newPage(browser, cluster.url);
    contexts.push(erinContext.context);
    await storeSession(erinContext.context, erin);
    writer = erinContext.page;
    await writer.goto(`/#/rooms/${news.id}`);
    for (const text of ['news 1', 'news 2', 'news 3']) {
      await send(writer, text);
      await writer.locator('.msg--own:not(.msg--pending)', { hasText: text }).waitFor();
    }
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await cluster?.stop();
  });

  it('lists the rooms joined apart from those to join, with the unread badge on both devices and in the tab title', async () => {
    laptop = await open();
    phone = await open(PHONE);
    await signIn(laptop, 'dana', PASSWORD);
    await signIn(phone, 'dana', PASSWORD);
    for (const page of [laptop, phone]) {
      await badge(page, 'news').filter({ hasText: /^3$/ }).waitFor();
      await titleIs(page, '(3) Chat');
      const yours = page.getByRole('list', { name: 'Your rooms' });
      expect(await yours.locator('.room-link__name').allTextContents()).toEqual(['#lobby', '#news']);
      expect(await page.getByRole('list', { name: 'Other rooms' }).locator('.room-link__name').allTextContents()).toEqual(['#garden']);
      expect(await roomLink(page, 'news').getAttribute('class')).toContain('room-link--unread');
      expect(await badge(page, 'lobby').count()).toBe(0);
      // The count is read out with the room's name.
      expect(await roomLink(page, 'news').textContent()).toContain('3 unread');
    }
    await screenshot(laptop, 'room-list-unread');
  });

  it('opens the room at a "New messages" divider, and reading it on the laptop clears the badge on the phone', async () => {
    await roomLink(laptop, 'news').click();
    await messageText(laptop, 'news 3').waitFor();
    const divider = laptop.locator('.unread-divider');
    await divider.waitFor();
    expect(await divider.getAttribute('role')).toBe('separator');
    // Just above the first message that was unread.
    expect(await laptop.locator('.unread-divider + .msg .msg__text').textContent()).toBe('news 1');
    await laptop.locator('.day-separator', { hasText: 'Today' }).waitFor();
    // erin's three messages came within minutes: one name for the run.
    expect(await message(laptop, 'news 2').getAttribute('class')).toContain('msg--grouped');
    expect(await message(laptop, 'news 3').getAttribute('class')).toContain('msg--grouped');
    expect(await message(laptop, 'news 1').getAttribute('class')).not.toContain('msg--grouped');

    // Seen on the laptop, so marked read: the badge and the title clear here and on the phone.
    for (const page of [laptop, phone]) {
      await badge(page, 'news').waitFor({ state: 'detached' });
      await titleIs(page, 'Chat');
    }

    // What arrives while the room is open is seen at once: no new divider, no badge anywhere.
    await send(writer, 'news 4');
    await messageText(laptop, 'news 4').waitFor();
    expect(await laptop.locator('.unread-divider').count()).toBe(1);
    // The server stores a cursor at most once a second: once it has, a list read afresh agrees.
    const rest = new ChatClient({ baseUrl: cluster!.url, token: dana.token }).rest;
    await waitFor('the cursor to be stored', async () => (await rest.listRooms()).rooms.find((r) => r.id === news.id)?.unread === 0);
    await phone.reload();
    await roomLink(phone, 'news').waitFor();
    expect(await badge(phone, 'news').count()).toBe(0);
    expect(await phone.title()).toBe('Chat');
  });

  it('counts what arrives in a room that is not open, and clears it when it is read on the other device', async () => {
    await laptop.goto('/');
    await roomLink(laptop, 'news').waitFor();
    await send(writer, 'news 5');
    await send(writer, 'news 6');
    await writer.locator('.msg--own:not(.msg--pending)', { hasText: 'news 6' }).waitFor();
    // The phone comes back to the page: the list is read again.
    await phone.reload();
    await badge(phone, 'news').filter({ hasText: /^2$/ }).waitFor();
    await laptop.reload();
    await badge(laptop, 'news').filter({ hasText: /^2$/ }).waitFor();

    await roomLink(phone, 'news').click();
    await messageText(phone, 'news 6').waitFor();
    expect(await phone.locator('.unread-divider + .msg .msg__text').textContent()).toBe('news 5');
    await badge(laptop, 'news').waitFor({ state: 'detached' });
    await titleIs(laptop, 'Chat');
  });

  it('shows a reaction added on one device to the other user and on the other device, with its count', async () => {
    await roomLink(laptop, 'news').click();
    const target = message(laptop, 'news 3');
    await target.hover();
    await target.getByRole('button', { name: 'Add a reaction' }).click();
    await target.getByRole('group', { name: 'Pick a reaction' }).getByRole('button', { name: 'React with 🎉' }).click();
    const mine = chip(laptop, 'news 3', '🎉');
    await mine.filter({ hasText: '1' }).waitFor();
    expect(await mine.getAttribute('aria-pressed')).toBe('true');

    // erin sees dana's reaction live, not as hers; she adds hers with a click on the chip.
    const theirs = chip(writer, 'news 3', '🎉');
    await theirs.filter({ hasText: '1' }).waitFor();
    expect(await theirs.getAttribute('aria-pressed')).toBe('false');
    await theirs.click();
    await theirs.filter({ hasText: '2' }).waitFor();
    expect(await theirs.getAttribute('aria-pressed')).toBe('true');
    await mine.filter({ hasText: '2' }).waitFor();
    // dana's phone, open in the room, sees both as they happen, dana's marked as hers.
    const onPhone = chip(phone, 'news 3', '🎉');
    await onPhone.filter({ hasText: '2' }).waitFor();
    expect(await onPhone.getAttribute('aria-pressed')).toBe('true');

    // A second emoji from erin, and the screenshot from her side.
    await message(writer, 'news 1').hover();
    await message(writer, 'news 1').getByRole('button', { name: 'Add a reaction' }).click();
    await message(writer, 'news 1').getByRole('button', { name: 'React with 👍' }).click();
    await chip(laptop, 'news 1', '👍').filter({ hasText: '1' }).waitFor();
    // The picker, open on the last message for the screenshot; Escape closes it.
    const last = message(writer, 'news 6');
    await last.hover();
    await last.getByRole('button', { name: 'Add a reaction' }).click();
    const picker = last.getByRole('group', { name: 'Pick a reaction' });
    await picker.waitFor();
    await screenshot(writer, 'reactions');
    await writer.keyboard.press('Escape');
    await picker.waitFor({ state: 'hidden' });
    expect(await last.getByRole('button', { name: 'Add a reaction' }).getAttribute('aria-expanded')).toBe('false');

    // Clicked again, dana's reaction goes: the count drops for everyone; a reload reads it from history.
    await mine.click();
    await theirs.filter({ hasText: '1' }).waitFor();
    await laptop.reload();
    await chip(laptop, 'news 3', '🎉').filter({ hasText: '1' }).waitFor();
    expect(await chip(laptop, 'news 3', '🎉').getAttribute('aria-pressed')).toBe('false');
    expect(await chip(laptop, 'news 1', '👍').getAttribute('aria-pressed')).toBe('false');
  });

  it('does not mark what arrives while the tab is hidden, and marks it when the tab is back in front', async () => {
    await phone.goto('/');
    await roomLink(phone, 'news').waitFor();
    await messageText(laptop, 'news 6').waitFor();
    await setHidden(laptop, true);
    await send(writer, 'news 7');
    await messageText(laptop, 'news 7').waitFor();
    // Shown, but not seen: it counts, in the tab title too.
    await titleIs(laptop, '(1) Chat');
    await badge(laptop, 'news').filter({ hasText: /^1$/ }).waitFor();

    await setHidden(laptop, false);
    await badge(laptop, 'news').waitFor({ state: 'detached' });
    await titleIs(laptop, 'Chat');
    const rest = new ChatClient({ baseUrl: cluster!.url, token: dana.token }).rest;
    await waitFor('the cursor to be stored', async () => (await rest.listRooms()).rooms.find((r) => r.id === news.id)?.unread === 0);
  });
});
