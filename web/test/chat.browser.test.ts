import { startCluster, type Cluster } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../../services/bot-worker/test/fakes/fake-openai.js';
import { startFakeStooq, type FakeStooq } from '../../services/bot-worker/test/fakes/fake-stooq.js';
import { expectGapless, launchChromium, messageText, newPage, PHONE, register, roomLink, screenshot, send, signIn, storedSession, timeline } from './support/browser.js';
import { ensureWebBuilt } from './support/build.js';
import { connectedSockets, trackGateway } from './support/network.js';
import { seedRoom } from './support/seed.js';

const PASSWORD = 'correct horse battery';
const XSS = '<img src=x onerror=alert(1)>';

let cluster: Cluster | undefined;
let stooq: FakeStooq | undefined;
let openai: FakeOpenAi | undefined;
let browser: Browser | undefined;
let alice: { context: BrowserContext; page: Page; gateway: { current(): string | undefined } };
let bob: typeof alice;
const dialogs: string[] = [];
const cspViolations: string[] = [];

// One cluster (API, two gateways, a bot worker, nginx) for the file; the tests
// follow one story, so each builds on the rooms and users made before it.
describe('the chat in a browser', () => {
  beforeAll(async () => {
    await ensureWebBuilt();
    [stooq, openai] = await Promise.all([startFakeStooq(), startFakeOpenAi()]);
    stooq.script('aapl.us', { kind: 'ok', close: 185.64 });
    openai.script({ kind: 'answer', chunks: ['Markets ', 'look ', 'calm ', 'today.'], chunkDelayMs: 400 });
    cluster = await startCluster({
      databaseUrl: await useTestDatabase(),
      gateways: 2,
      workers: 1,
      gatewayEnv: { RATE_LIMIT_MESSAGES: '200', RATE_LIMIT_COMMANDS: '4' },
      workerEnv: { STOOQ_URL: stooq.url, OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: openai.baseUrl },
    });
    browser = await launchChromium();
    const open = async () => newPage(browser!, cluster!.url).then((o) => ({ ...o, gateway: trackGateway(o.page) }));
    [alice, bob] = [await open(), await open()];
    for (const { page } of [alice, bob]) {
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      page.on('console', (msg) => {
        if (msg.text().includes('Content Security Policy')) cspViolations.push(msg.text());
      });
    }
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
    await Promise.all([stooq?.close(), openai?.close()]);
  });

  it('signs a new user up, creates rooms and lists them with member counts', async () => {
    const { page } = alice;
    await page.goto('/');
    await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
    await screenshot(page, 'login');
    await register(page, 'alice', PASSWORD);

    const rooms = [
      ['general', 'Everything and nothing'],
      ['markets', 'Quotes, tickers and chatter'],
      ['random', ''],
    ] as const;
    for (const [name, description] of rooms) {
      await page.getByRole('button', { name: '+ New room' }).click();
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Description (optional)').fill(description);
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await page.locator('.room__title', { hasText: `# ${name}` }).waitFor();
    }
    await roomLink(page, 'general').locator('.room-link__count', { hasText: '1 member' }).waitFor();
    expect(await page.locator('.room-link').count()).toBe(3);

    // A taken name is refused, and the reason is shown in words.
    await page.getByRole('button', { name: '+ New room' }).click();
    await page.getByLabel('Name', { exact: true }).fill('GENERAL');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.locator('.new-room .form-error', { hasText: 'Room name is already taken.' }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('lets two users in one room see each other online, typing and their messages', async () => {
    await roomLink(alice.page, 'general').click();
    await alice.page.getByLabel('Message', { exact: true }).waitFor();

    await register(bob.page, 'bob', PASSWORD);
    await bob.page.locator('.status', { hasText: 'Online' }).waitFor();
    // The story needs bob's session on the other gateway than alice's (new sessions are
    // spread over the two): then everything below crosses gateways through Redis.
    for (let i = 0; i < 6 && bob.gateway.current() === alice.gateway.current(); i++) {
      await bob.page.reload();
      await bob.page.locator('.status', { hasText: 'Online' }).waitFor();
    }
    expect([alice.gateway.current(), bob.gateway.current()].sort()).toEqual(['gw1', 'gw2']);
    expect(await connectedSockets(cluster!.gateways.map((g) => g.url))).toEqual([1, 1]);
    await roomLink(bob.page, 'general').click();
    await bob.page.getByRole('button', { name: 'Join room' }).click();
    await bob.page.getByLabel('Message', { exact: true }).waitFor();

    await alice.page.locator('.msg--system', { hasText: 'bob joined the room' }).waitFor();
    await alice.page.locator('.member--online', { hasText: 'bob' }).waitFor();
    await bob.page.locator('.member--online', { hasText: 'alice' }).waitFor();
    await roomLink(alice.page, 'general').locator('.room-link__count', { hasText: '2 members' }).waitFor();

    const box = bob.page.getByLabel('Message', { exact: true });
    await box.pressSequentially('hi alice', { delay: 20 });
    await alice.page.locator('.typing', { hasText: 'bob is typing…' }).waitFor();
    await box.press('Enter');
    await messageText(alice.page, 'hi alice').waitFor();
    await alice.page.locator('.typing', { hasText: 'bob is typing…' }).waitFor({ state: 'detached' });

    await send(alice.page, 'hi bob, welcome!');
    await messageText(bob.page, 'hi bob, welcome!').waitFor();
    await alice.page.locator('.msg--own:not(.msg--pending)', { hasText: 'hi bob, welcome!' }).waitFor();
    expect(await alice.page.locator('.msg--pending').count()).toBe(0);
    // Still on their two gateways: every event above went from one to the other.
    expect(alice.gateway.current()).not.toBe(bob.gateway.current());
  });

  it('joins, switches to and leaves another room', async () => {
    const { page } = bob;
    await roomLink(page, 'random').click();
    await page.getByRole('button', { name: 'Join room' }).click();
    await page.locator('.msg--system', { hasText: 'bob joined the room' }).waitFor();
    await roomLink(page, 'random').locator('.room-link__count', { hasText: '2 members' }).waitFor();

    await page.getByRole('button', { name: 'Leave' }).click();
    await page.getByRole('heading', { name: 'Hi bob!' }).waitFor();
    await roomLink(page, 'random').locator('.room-link__count', { hasText: '1 member' }).waitFor();

    await roomLink(page, 'general').click();
    await messageText(page, 'hi bob, welcome!').waitFor();
  });

  it('shows the stock bot reply to /stock=AAPL.US in both browsers', async () => {
    await send(alice.page, '/stock=AAPL.US');
    await alice.page.locator('.msg--note', { hasText: 'asked stock-bot' }).waitFor();
    for (const { page } of [alice, bob]) {
      const reply = page.locator('.msg--bot', { hasText: 'AAPL.US quote is $185.64 per share' });
      await reply.waitFor();
      expect(await reply.locator('.msg__author').textContent()).toBe('stock-bot');
    }
    expect(await bob.page.locator('.msg--note').count()).toBe(0);
  });

  it('streams an AI answer as it is written, then shows the stored reply in its place', async () => {
    await send(alice.page, '/ai how are the markets?');
    const streaming = bob.page.locator('.msg--streaming');
    await streaming.waitFor();
    expect(await streaming.locator('.msg__text').textContent()).toMatch(/^Markets/);
    await bob.page.locator('.msg--bot:not(.msg--streaming)', { hasText: 'Markets look calm today.' }).waitFor();
    await streaming.waitFor({ state: 'detached' });
    await alice.page.locator('.msg--bot:not(.msg--streaming)', { hasText: 'Markets look calm today.' }).waitFor();
    await screenshot(alice.page, 'room');
  });

  it('renders a message that looks like HTML as plain text', async () => {
    await send(bob.page, XSS);
    for (const { page } of [alice, bob]) {
      await messageText(page, XSS).waitFor();
      expect(await page.locator('img').count()).toBe(0);
    }
    // One more message after it, so an onerror handler would have had its chance.
    await send(bob.page, 'that was just text');
    await messageText(alice.page, 'that was just text').waitFor();
    expect(dialogs).toEqual([]);
    // The page's own script and styles live within its Content-Security-Policy.
    expect(cspViolations).toEqual([]);
  });

  it('puts server errors into words: unknown commands and rate limits', async () => {
    const { page } = alice;
    await send(page, '/nope');
    await page.locator('.composer__error', { hasText: 'Unknown command /nope; send /help for the list.' }).waitFor();
    expect(await page.getByLabel('Message', { exact: true }).inputValue()).toBe('/nope');

    // The command budget is 4 a minute: /stock and /ai spent two, /help spends the rest.
    await page.getByLabel('Message', { exact: true }).fill('');
    for (let i = 0; i < 2; i++) await send(page, '/help');
    await page.locator('.msg--note', { hasText: '/stock=CODE' }).nth(1).waitFor();
    await send(page, '/help');
    const failed = page.locator('.msg--failed');
    await failed.locator('.msg__error', { hasText: 'You are going too fast' }).waitFor();
    await failed.getByRole('button', { name: 'Retry' }).waitFor();
    await failed.getByRole('button', { name: 'Dismiss' }).click();
    await failed.waitFor({ state: 'detached' });
  });

  it('keeps the session, the open room and its history across a reload', async () => {
    const { page } = alice;
    const before = await timeline(page);
    await page.reload();
    await page.locator('.topbar__name', { hasText: 'alice' }).waitFor();
    await page.locator('.room__title', { hasText: '# general' }).waitFor();
    await messageText(page, 'hi alice').waitFor();
    await page.locator('.msg--bot', { hasText: 'AAPL.US quote is $185.64 per share' }).waitFor();
    expect(await expectGapless(page)).toEqual(before);
  });

  it('after going offline and back, shows what it missed once and in order and sends what was typed meanwhile', async () => {
    await alice.context.setOffline(true);
    await alice.page.locator('.banner', { hasText: 'You are offline' }).waitFor();

    for (const text of ['while you were away 1', 'while you were away 2']) {
      await send(bob.page, text);
      await bob.page.locator('.msg--own:not(.msg--pending)', { hasText: text }).waitFor();
    }
    await send(alice.page, 'sent while offline');
    await alice.page.locator('.msg--pending', { hasText: 'sent while offline' }).locator('.msg__status', { hasText: 'Waiting for the connection' }).waitFor();

    // The gap is real: nothing of it reached the offline page.
    expect(await messageText(alice.page, 'while you were away 1').count()).toBe(0);
    await alice.context.setOffline(false);
    await alice.page.locator('.banner').waitFor({ state: 'hidden', timeout: 30_000 });
    await messageText(alice.page, 'while you were away 2').waitFor();
    await messageText(bob.page, 'sent while offline').waitFor();
    await alice.page.locator('.msg--pending').waitFor({ state: 'detached' });

    // A later message: anything doubled would have arrived before it.
    await send(bob.page, 'back in sync');
    await messageText(alice.page, 'back in sync').waitFor();
    await messageText(bob.page, 'back in sync').waitFor();
    const seen = await expectGapless(alice.page);
    const texts = seen.map((m) => m.text);
    for (const text of ['while you were away 1', 'while you were away 2', 'sent while offline', 'back in sync']) {
      expect(texts.filter((t) => t === text)).toHaveLength(1);
    }
    expect(texts.indexOf('while you were away 1')).toBeLessThan(texts.indexOf('while you were away 2'));
    expect(seen.slice(-4)).toEqual((await expectGapless(bob.page)).slice(-4));
  });

  it('loads older history in pages when scrolling up', async () => {
    await seedRoom(cluster!.url, { username: 'carol', password: PASSWORD, room: 'archive', messages: 75 });
    const { page } = alice;
    await page.goto('/');
    await roomLink(page, 'archive').waitFor();
    await screenshot(page, 'rooms');

    await roomLink(page, 'archive').click();
    await page.getByRole('button', { name: 'Join room' }).click();
    await messageText(page, 'archive 75').waitFor();
    await page.locator('.msg--system', { hasText: 'alice joined the room' }).waitFor();
    expect(await messageText(page, 'archive 1').count()).toBe(0);
    expect((await timeline(page)).length).toBe(50);

    await page.locator('.timeline').evaluate((el) => el.scrollTo({ top: 0 }));
    await messageText(page, 'archive 1').waitFor();
    await page.locator('.timeline__older').waitFor({ state: 'hidden' });
    const all = await expectGapless(page);
    expect(all[0]).toEqual({ seq: 1, text: 'archive 1' });
    expect(all).toHaveLength(76);
  });

  it('shows the room list and a room as separate screens on a phone', async () => {
    const phone = await newPage(browser!, cluster!.url, PHONE);
    try {
      const { page } = phone;
      await signIn(page, 'bob', PASSWORD);
      const sidebar = page.getByRole('navigation', { name: 'Rooms' });
      await roomLink(page, 'general').waitFor();
      expect(await page.locator('#main').isVisible()).toBe(false);
      await screenshot(page, 'mobile-rooms');

      await roomLink(page, 'general').click();
      await messageText(page, 'back in sync').waitFor();
      expect(await sidebar.isVisible()).toBe(false);
      const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      // The pointer off the messages, so no hover-only control shows in the picture.
      await page.mouse.move(0, 0);
      await screenshot(page, 'mobile-room');

      // Members slide in over the messages on demand.
      const members = page.getByRole('complementary', { name: 'Members' });
      expect(await members.isVisible()).toBe(false);
      await page.getByRole('button', { name: /online$/ }).click();
      await members.locator('.member', { hasText: 'bob' }).waitFor({ state: 'visible' });
      await page.getByRole('button', { name: /online$/ }).click();
      await members.waitFor({ state: 'hidden' });

      await page.getByRole('button', { name: 'Back to rooms' }).click();
      await sidebar.waitFor();
      expect(await page.locator('#main').isVisible()).toBe(false);
    } finally {
      await phone.context.close();
    }
  });

  it('signs out, and another tab using the same token is sent back to sign in', async () => {
    const stored = await storedSession(bob.page);
    expect(stored).toBeTruthy();
    const other = await newPage(browser!, cluster!.url);
    try {
      await other.context.addInitScript({ content: `localStorage.setItem('chat.session', ${JSON.stringify(stored)})` });
      await other.page.goto('/');
      await other.page.locator('.topbar__name', { hasText: 'bob' }).waitFor();
      await other.page.locator('.status', { hasText: 'Online' }).waitFor();

      await bob.page.getByRole('button', { name: 'Sign out' }).click();
      await bob.page.getByRole('heading', { name: 'Welcome back' }).waitFor();
      expect(await storedSession(bob.page)).toBeNull();

      // Its socket is cut and refused on reconnect: back to sign-in, with the reason.
      await other.page.locator('.notice', { hasText: 'Your session has ended' }).waitFor();
      // A reload with the revoked token stored again is refused by the API as well.
      await other.page.reload();
      await other.page.locator('.notice', { hasText: 'Your session has ended' }).waitFor();
      await other.page.getByRole('heading', { name: 'Welcome back' }).waitFor();
    } finally {
      await other.context.close();
    }
  });
});
