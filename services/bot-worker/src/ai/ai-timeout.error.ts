/** The provider did not finish its answer within `AI_TIMEOUT_MS`: worth a retry. */
export class AiTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the AI provider did not finish within ${timeoutMs} ms`);
    this.name = 'AiTimeoutError';
  }
}
