import type { ServerResponse } from 'node:http';
import { deferred, listenLocal, type LocalServer } from './http.js';

/**
 * What the fake answers for one request:
 * - `ok`: a CSV row with this close (a string is sent as written, a number with 4 decimals);
 *   `nd`: the `N/D` row Stooq sends for an unknown symbol
 * - `slow`: the `ok` answer after `delayMs` (longer than the worker's timeout: a timeout)
 * - `hold`: nothing until the test calls `release()` (or the server closes), then `then`
 * - `status`: that HTTP status (5xx, 429 with `retryAfter` as its `Retry-After`); `html`: an
 *   HTML page with status 200; `broken`: a cut-off CSV
 * - `stall`: the 200 headers and the CSV header line, then the body stalls (never ends)
 */
export type StooqAnswer =
  | { kind: 'ok'; close: number | string }
  | { kind: 'nd' }
  | { kind: 'slow'; delayMs: number; close: number }
  | { kind: 'hold'; then: StooqAnswer }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'stall' }
  | { kind: 'html' }
  | { kind: 'broken' };

export interface StooqRequest {
  symbol: string;
  url: string;
  /** When it arrived (epoch ms). */
  at: number;
}

export interface FakeStooq extends LocalServer {
  /**
   * Answers for `symbol` (as the worker sends it, lower-case), one per request in
   * order; the last one repeats. Unknown symbols get `nd`, like the real Stooq.
   */
  script(symbol: string, ...answers: StooqAnswer[]): void;
  /** Requests received so far, oldest first. */
  requests(symbol?: string): StooqRequest[];
  /** Lets every held response go on. */
  release(): void;
  /** The most requests that were open at one time since the last `resetMaxInFlight()`. */
  maxInFlight(): number;
  resetMaxInFlight(): void;
}

const HEADER = 'Symbol,Date,Time,Open,High,Low,Close,Volume';

export function stooqCsv(symbol: string, close: number | string): string {
  const c = typeof close === 'string' ? close : close.toFixed(4);
  return `${HEADER}\r\n${symbol.toUpperCase()},2026-11-20,22:00:09,${c},${c},${c},${c},1234567\r\n`;
}

/** `n` failures of one kind, then an ok answer. */
export function failThenOk(n: number, failure: StooqAnswer, close: number): StooqAnswer[] {
  return [...Array.from({ length: n }, () => failure), { kind: 'ok', close }];
}

/** A local HTTP server speaking Stooq's `/q/l/` CSV quote format. */
export async function startFakeStooq(): Promise<FakeStooq> {
  const scripts = new Map<string, StooqAnswer[]>();
  const seen: StooqRequest[] = [];
  let gate = deferred();
  let inFlight = 0;
  let maxInFlight = 0;

  const send = async (res: ServerResponse, symbol: string, answer: StooqAnswer): Promise<void> => {
    switch (answer.kind) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'text/csv' }).end(stooqCsv(symbol, answer.close));
        return;
      case 'nd':
        res.writeHead(200, { 'content-type': 'text/csv' }).end(`${HEADER}\r\n${symbol.toUpperCase()},N/D,N/D,N/D,N/D,N/D,N/D,N/D\r\n`);
        return;
      case 'slow':
        await new Promise((r) => setTimeout(r, answer.delayMs));
        if (!res.destroyed) await send(res, symbol, { kind: 'ok', close: answer.close });
        return;
      case 'hold':
        await gate.promise;
        if (!res.destroyed) await send(res, symbol, answer.then);
        return;
      case 'status':
        res
          .writeHead(answer.status, { 'content-type': 'text/plain', ...(answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter }) })
          .end(answer.status === 429 ? 'Too Many Requests' : 'Service Unavailable');
        return;
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>');
        return;
      case 'stall':
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.write(`${HEADER}\r\n`);
        return; // the row never comes; close() cuts the connection
      case 'broken':
        res.writeHead(200, { 'content-type': 'text/csv' }).end(`${HEADER}\r\n${symbol.toUpperCase()},2026-11-20,22:00:09,"1`);
        return;
    }
  };

  const local = await listenLocal((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== '/q/l/') {
      res.writeHead(404).end();
      return;
    }
    const symbol = url.searchParams.get('s') ?? '';
    seen.push({ symbol, url: req.url ?? '', at: Date.now() });
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once('close', () => (inFlight -= 1));
    const queue = scripts.get(symbol);
    const answer: StooqAnswer = queue && queue.length > 1 ? queue.shift()! : (queue?.[0] ?? { kind: 'nd' });
    send(res, symbol, answer).catch(() => res.destroy());
  });

  return {
    ...local,
    script: (symbol, ...answers) => {
      scripts.set(symbol, answers);
    },
    requests: (symbol) => seen.filter((r) => symbol === undefined || r.symbol === symbol),
    maxInFlight: () => maxInFlight,
    resetMaxInFlight: () => {
      maxInFlight = inFlight;
    },
    release: () => {
      gate.resolve();
      gate = deferred();
    },
    close: () => {
      gate.resolve();
      return local.close();
    },
  };
}
