import type { BrowserContext, Page } from 'playwright-core';

/** A Socket.IO event the page sent: its name and first argument. */
export interface SentEvent {
  name: string;
  payload: Record<string, unknown>;
}

const SOCKET_IO = /\/socket\.io\//;
/** Engine.IO "message" + Socket.IO "event", with an ack id: 42<id>["name",payload]. */
const EVENT = /^42\d*(\[.*\])$/s;
/** Engine.IO joins the packets of one long-polling POST with this. */
const SEPARATOR = '\x1e';

function parseEvent(packet: string): SentEvent | undefined {
  const match = EVENT.exec(packet);
  if (!match) return undefined;
  const [name, payload] = JSON.parse(match[1]!) as [unknown, unknown];
  return typeof name === 'string' ? { name, payload: (payload ?? {}) as Record<string, unknown> } : undefined;
}

/**
 * Watches every Socket.IO event the pages of `context` send, over WebSocket and over
 * long-polling POSTs alike, and drops (never lets reach the server) the first one that
 * `drop` matches — a request lost on the way, so its acknowledgement never comes while
 * the connection stays up. Call before the pages open. `sent` lists every event that went
 * out, `dropped` the one held back.
 */
export async function dropFirstEvent(context: BrowserContext, drop: (event: SentEvent) => boolean) {
  const seen = { sent: [] as SentEvent[], dropped: undefined as SentEvent | undefined };
  /** Whether to hold `packet` back; records it either way. */
  const hold = (packet: string): boolean => {
    const event = parseEvent(packet);
    if (!event) return false;
    if (!seen.dropped && drop(event)) {
      seen.dropped = event;
      return true;
    }
    seen.sent.push(event);
    return false;
  };
  await context.routeWebSocket(SOCKET_IO, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((frame) => {
      if (typeof frame === 'string' && hold(frame)) return;
      server.send(frame);
    });
  });
  await context.route(SOCKET_IO, async (route) => {
    const body = route.request().method() === 'POST' ? route.request().postData() : null;
    if (body === null) return route.continue();
    const kept = body.split(SEPARATOR).filter((packet) => !hold(packet));
    // Nothing left to send: answer as Engine.IO does, so the page sees its POST accepted.
    if (kept.length === 0) return route.fulfill({ status: 200, contentType: 'text/html', body: 'ok' });
    return route.continue({ postData: kept.join(SEPARATOR) });
  });
  return seen;
}

/**
 * The replica id (the session-id prefix nginx routes on, e.g. `gw1`) of the gateway
 * holding `page`'s current Socket.IO session, from the `sid` of its requests and its
 * WebSocket's URL. Call before the page opens; `current()` is the latest seen.
 */
export function trackGateway(page: Page): { current(): string | undefined } {
  let replica: string | undefined;
  const note = (url: string): void => {
    const sid = new URL(url).searchParams.get('sid');
    const prefix = sid?.split('.')[0];
    if (sid && prefix && prefix !== sid) replica = prefix;
  };
  page.on('request', (request) => {
    if (SOCKET_IO.test(request.url())) note(request.url());
  });
  page.on('websocket', (ws) => note(ws.url()));
  return { current: () => replica };
}

/** Each gateway's `chat_connected_sockets`, from its own /metrics (`urls`: the gateways' base URLs). */
export function connectedSockets(urls: string[]): Promise<number[]> {
  return Promise.all(
    urls.map(async (url) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(/^chat_connected_sockets(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1] ?? NaN);
    }),
  );
}
