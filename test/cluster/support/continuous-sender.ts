import type { ChatClient, Message } from '@chat/client';

/**
 * Sends to one room through an SDK client every `everyMs` until stopped. Each send waits in
 * the client's outbox until the server acknowledges it — across reconnects and `unavailable`
 * answers it goes out again with its clientId — so `acked` holds what the cluster promised
 * to keep. Sends are not awaited one by one: a new one goes out at once when the cluster is
 * back, instead of behind an older one's retry pause. At most `maxPending` wait at a time.
 */
export class ContinuousSender {
  /** Acknowledged messages, in the order their acks came. */
  readonly acked: Message[] = [];
  private refused = 0;
  /** Why sends were refused, by error code. */
  readonly refusals = new Map<string, number>();
  private readonly outcomes: Promise<void>[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: ChatClient,
    private readonly roomId: string,
  ) {}

  start(prefix: string, everyMs = 40, maxPending = 50): void {
    let i = 0;
    const tick = (): void => {
      if (this.client.pendingSends.length < maxPending) {
        const n = i++;
        const sent = this.client.send(this.roomId, `${prefix} ${n}`, { clientId: `${prefix}-${n}` });
        this.outcomes.push(
          sent.then(
            (result) => {
              if ('message' in result) this.acked.push(result.message);
            },
            (err: unknown) => {
              this.refused += 1;
              const code = (err as { code?: string }).code ?? String(err);
              this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
            },
          ),
        );
      }
      this.timer = setTimeout(tick, everyMs);
    };
    tick();
  }

  /** Stops sending and waits until every send made is acknowledged or refused; resolves to how many were refused. */
  async stop(): Promise<number> {
    clearTimeout(this.timer);
    await Promise.all(this.outcomes);
    return this.refused;
  }
}
