import type { ServerResponse } from 'node:http';
import { listenLocal, readBody, type LocalServer } from './http.js';

/**
 * What the fake answers for one request:
 * - `answer`: these text chunks; streamed as SSE when the request asks for a stream,
 *   else one `chat.completion` JSON with the joined text
 * - `status`: an error status (429 rate limit, 500…) with OpenAI's error body, and a
 *   `Retry-After` header when `retryAfter` is given
 * - `cut`: streams `chunks`, then drops the connection before `[DONE]`
 * - `hang`: sends the 200 headers (and `chunks`, when streaming), then nothing more: the
 *   body stalls until the client gives up
 */
export type AiAnswer =
  | { kind: 'answer'; chunks: string[]; chunkDelayMs?: number }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'cut'; chunks: string[] }
  | { kind: 'hang'; chunks?: string[] };

export interface ChatRequest {
  model: string;
  stream: boolean;
  messages: { role: string; content: string }[];
  authorization: string | undefined;
  /** When it arrived (epoch ms). */
  at: number;
}

export interface FakeOpenAi extends LocalServer {
  /** The base URL to give the SDK (OPENAI_BASE_URL). */
  baseUrl: string;
  /** Answers one per request in order; the last repeats. */
  script(...answers: AiAnswer[]): void;
  requests(): ChatRequest[];
}

const chunkJson = (content: string | undefined, finish: string | null): string =>
  JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: 'fake-model',
    choices: [{ index: 0, delta: content === undefined ? {} : { role: 'assistant', content }, finish_reason: finish }],
  });

/** A local HTTP server speaking OpenAI's chat-completions API, streamed and not. */
export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  let answers: AiAnswer[] = [{ kind: 'answer', chunks: ['Hello', ' from', ' the fake.'] }];
  const seen: ChatRequest[] = [];

  const stream = async (res: ServerResponse, chunks: string[], delayMs: number, finish: boolean): Promise<void> => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    for (const chunk of chunks) {
      res.write(`data: ${chunkJson(chunk, null)}\n\n`);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    }
    if (!finish) {
      // Let the chunks reach the client, then drop the connection mid-stream.
      await new Promise((r) => setTimeout(r, 50));
      res.destroy();
      return;
    }
    res.write(`data: ${chunkJson(undefined, 'stop')}\n\n`);
    res.end('data: [DONE]\n\n');
  };

  const local = await listenLocal((req, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    readBody(req)
      .then(async (text) => {
        const body = JSON.parse(text) as { model: string; stream?: boolean; messages: ChatRequest['messages'] };
        const request = { model: body.model, stream: body.stream === true, messages: body.messages, authorization: req.headers.authorization, at: Date.now() };
        seen.push(request);
        const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
        switch (answer.kind) {
          case 'status':
            res
              .writeHead(answer.status, { 'content-type': 'application/json', ...(answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter }) })
              .end(JSON.stringify({ error: { message: answer.status === 429 ? 'Rate limit reached' : 'server error', type: 'fake', code: null } }));
            return;
          case 'cut':
            await stream(res, answer.chunks, 0, false);
            return;
          case 'hang':
            if (request.stream) {
              res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
              for (const chunk of answer.chunks ?? []) res.write(`data: ${chunkJson(chunk, null)}\n\n`);
            } else {
              res.writeHead(200, { 'content-type': 'application/json' });
              res.write('{"id":"chatcmpl-fake",');
            }
            return; // the rest never comes; close() cuts the connection
          case 'answer':
            if (request.stream) {
              await stream(res, answer.chunks, answer.chunkDelayMs ?? 0, true);
              return;
            }
            res.writeHead(200, { 'content-type': 'application/json' }).end(
              JSON.stringify({
                id: 'chatcmpl-fake',
                object: 'chat.completion',
                created: Math.floor(Date.now() / 1000),
                model: body.model,
                choices: [{ index: 0, message: { role: 'assistant', content: answer.chunks.join('') }, finish_reason: 'stop' }],
                usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
              }),
            );
        }
      })
      .catch(() => res.destroy());
  });

  return {
    ...local,
    baseUrl: `${local.url}/v1`,
    script: (...next) => {
      answers = next;
    },
    requests: () => [...seen],
  };
}
