import { signToken } from '@chat/runtime';
import type { AuthResponse, Room } from '@chat/contract';
import { startCluster, TEST_JWT_SECRET, type Cluster } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOIN_RETRY_NOTE } from '../src/rooms/room-notes.js';
import { launchChromium, messageText, newPage, send, storeSession, timeline } from './support/browser.js';
import { ensureWebBuilt } from './support/build.js';
import { dropFirstEvent } from './support/network.js';
import { registerUser, roomWith } from './support/seed.js';

const PASSWORD = 'correct horse battery';

let cluster: Cluster | undefined;
let browser: Browser | undefined;
let dora: AuthResponse;
let erin: AuthResponse;
let room: Room;
/** erin's page, open in the room for the whole file: what everyone else sees. */
let observer: { context: BrowserContext; page: Page };
const contexts: BrowserContext[] = [];

/** A page signed in as `auth`, its context set up by `prepare` before anything loads. */
async function openAs(auth: AuthResponse, prepare?: (context: BrowserContext) => Promise<unknown>) {
  const opened = await newPage(browser!, cluster!.url);
  contexts.push(opened.context);
  await storeSession(opened.context, auth);
  await prepare?.(opened.context);
  return opened;
}

/** Every stored message text seen once, in seq order with no seq missing. */
async function expectOnceInOrder(page: Page, texts: string[]): Promise<void> {
  const items = await timeline(page);
  const seqs = items.map((i) => i.seq);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => (seqs[0] ?? 1) + i));
  for (const text of texts) expect(items.filter((i) => i.text === text), text).toHaveLength(1);
}

// Acknowledgements and joins lost on the way (the page's request never reaches the
// server while the socket stays connected), and a token that expires while in use.
describe('the chat in a browser, when answers go missing', () => {
  beforeAll(async () => {
    await ensureWebBuilt();
    cluster = await startCluster({ databaseUrl: await useTestDatabase(), gateways: 2, gatewayEnv: { RATE_LIMIT_MESSAGES: '200' } });
    browser = await launchChromium();
    [dora, erin] = [await registerUser(cluster.url, 'dora', PASSWORD), await registerUser(cluster.url, 'erin', PASSWORD)];
    room = await roomWith(cluster.url, 'recovery', erin, [dora]);
    observer = await openAs(erin);
    await observer.page.goto(`/#/rooms/${room.id}`);
    await observer.page.getByLabel('Message', { exact: true }).waitFor();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await cluster?.stop();
  });

  it('shows a send whose answer never came as not confirmed, then sends it again with the same clientId: stored once', async () => {
    const seen = { wire: undefined as Awaited<ReturnType<typeof dropFirstEvent>> | undefined };
    const { page } = await openAs(dora, async (context) => {
      seen.wire = await dropFirstEvent(context, (e) => e.name === 'message:send' && e.payload.content === 'lost on the way');
    });
    await page.goto(`/#/rooms/${room.id}`);
    await page.locator('.status', { hasText: 'Online' }).waitFor();
    await page.getByLabel('Message', { exact: true }).waitFor();
    await observer.page.locator('.member--online', { hasText: 'dora' }).waitFor();

    await send(page, 'lost on the way');
    // No answer within the acknowledgement timeout, while the socket stays connected.
    const unconfirmed = page.locator('.msg--unconfirmed', { hasText: 'lost on the way' });
    await unconfirmed.locator('.msg__status', { hasText: 'Not confirmed yet' }).waitFor();
    await unconfirmed.locator('.msg__hint', { hasText: 'sent again automatically' }).waitFor();
    expect(await page.locator('.status').textContent()).toBe('Online');
    expect(await messageText(observer.page, 'lost on the way').count()).toBe(0);

    // Re-joined and sent again on its own, with no click.
    await page.locator('.msg--own:not(.msg--pending)', { hasText: 'lost on the way' }).waitFor();
    await messageText(observer.page, 'lost on the way').waitFor();
    expect(await page.locator('.msg--pending').count()).toBe(0);
    const { wire } = seen;
    const sends = wire!.sent.filter((e) => e.name === 'message:send');
    expect(sends.map((e) => e.payload.content)).toEqual(['lost on the way']);
    expect(sends[0]!.payload.clientId).toBe(wire!.dropped!.payload.clientId);
    // The page joined the room again before sending it again.
    expect(wire!.sent.filter((e) => e.name === 'room:join').length).toBeGreaterThanOrEqual(2);

    await send(observer.page, 'seen it');
    await messageText(page, 'seen it').waitFor();
    for (const p of [page, observer.page]) await expectOnceInOrder(p, ['lost on the way', 'seen it']);
  });

  it('joins the room again when its join goes unanswered on a live connection, and then sends what was typed meanwhile', async () => {
    const seen = { wire: undefined as Awaited<ReturnType<typeof dropFirstEvent>> | undefined };
    const { page } = await openAs(dora, async (context) => {
      seen.wire = await dropFirstEvent(context, (e) => e.name === 'room:join');
    });
    await page.goto(`/#/rooms/${room.id}`);
    // History comes over REST; the live join is what got lost.
    await messageText(page, 'seen it').waitFor();
    await page.locator('.status', { hasText: 'Online' }).waitFor();
    await send(page, 'typed before the join');
    await page.locator('.msg--pending', { hasText: 'typed before the join' }).waitFor();

    // Unanswered within the acknowledgement timeout: said so, and tried again shortly after.
    await page.locator('.composer__error', { hasText: JOIN_RETRY_NOTE }).waitFor();
    expect(seen.wire!.dropped?.payload.since).toBeGreaterThan(0);
    expect(await page.locator('.status').textContent()).toBe('Online');
    await page.locator('.msg--own:not(.msg--pending)', { hasText: 'typed before the join' }).waitFor();
    await messageText(observer.page, 'typed before the join').waitFor();
    expect(await page.locator('.composer__error').textContent()).toBe('');
    expect(seen.wire!.sent.filter((e) => e.name === 'room:join')).toHaveLength(1);

    // Joined for real: live messages arrive.
    await send(observer.page, 'you are back');
    await messageText(page, 'you are back').waitFor();
    await expectOnceInOrder(page, ['typed before the join', 'you are back']);
  });

  it('sends a user whose token expires while the page is open back to sign in, and again on a reload', async () => {
    // The gateway cuts a socket when its token expires; the reconnect is refused as unauthorized.
    const shortLived = { token: signToken(erin.user, TEST_JWT_SECRET, 6), user: erin.user };
    const { page } = await openAs(shortLived);
    await page.goto(`/#/rooms/${room.id}`);
    await page.locator('.status', { hasText: 'Online' }).waitFor();
    await messageText(page, 'you are back').waitFor();

    await page.locator('.notice', { hasText: 'Your session has ended' }).waitFor();
    await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
    expect(await page.evaluate("localStorage.getItem('chat.session')")).toBeNull();

    // The expired token stored again (the init script) is refused by the API as well.
    await page.reload();
    await page.locator('.notice', { hasText: 'Your session has ended' }).waitFor();
    await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
  });
});
