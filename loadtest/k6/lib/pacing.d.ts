/** Types of pacing.js for the TypeScript that imports it (the Node test). */

export declare const BACKOFF_START_MS: number;
export declare const BACKOFF_MAX_MS: number;

export interface NextSend {
  action: 'send' | 'wait' | 'stop';
  delayMs: number;
  /** 'ok', the error code, or 'no answer'. */
  reason: string;
}

export declare function afterAck(answer: { ok: boolean; error?: { code: string } } | undefined, backoffMs: number): NextSend;
