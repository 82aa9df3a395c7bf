import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { AiTimeoutError } from './ai-timeout.error.js';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompleteOptions {
  /** When given, the answer is streamed and each chunk's text is passed here. */
  onDelta?: (delta: string) => void;
}

export interface AiClient {
  /** The model's whole answer; throws the provider's error (see `isRetryableAiError`). */
  complete(turns: ChatTurn[], options?: CompleteOptions): Promise<string>;
}

export interface AiClientOptions {
  apiKey: string;
  /** An OpenAI-compatible API (OpenAI, DeepSeek, Ollama, vLLM…); the SDK's default when omitted. */
  baseUrl?: string | undefined;
  model: string;
  /** The whole call, streamed body included, must finish within this many ms. */
  timeoutMs: number;
}

/**
 * A thin wrapper over the `openai` SDK's chat completions. The SDK's own retries
 * are off: BullMQ retries the job with the worker's backoff, so one policy decides.
 */
export function createAiClient(options: AiClientOptions): AiClient {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    timeout: options.timeoutMs,
    maxRetries: 0,
  });
  return {
    async complete(turns, { onDelta } = {}) {
      const signal = AbortSignal.timeout(options.timeoutMs);
      if (!onDelta) {
        const completion = await client.chat.completions.create({ model: options.model, messages: turns, stream: false }, { signal });
        return completion.choices[0]?.message.content ?? '';
      }
      const stream = await client.chat.completions.create({ model: options.model, messages: turns, stream: true }, { signal });
      let text = '';
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta?.content;
        if (delta) {
          text += delta;
          onDelta(delta);
        }
      }
      // The SDK ends an aborted stream quietly, as if it were complete: a stalled body
      // would otherwise be stored as a cut-off answer.
      if (signal.aborted) throw new AiTimeoutError(options.timeoutMs);
      return text;
    },
  };
}

/**
 * Worth another attempt: rate limits (429), timeouts (AiTimeoutError and the SDK's), server errors and lost
 * connections. A 400/401/403/404 (bad request, key or model) will fail the same
 * way every time, so the job answers with the failure reply at once.
 */
export function isRetryableAiError(err: unknown): boolean {
  if (err instanceof APIConnectionError || err instanceof APIUserAbortError) return true;
  if (err instanceof APIError) {
    const status = err.status;
    return status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
  }
  return true;
}
