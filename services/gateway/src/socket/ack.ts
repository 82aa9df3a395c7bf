import { AppError, toErrorBody, type Ack, type AckResult } from '@chat/contract';
import { safeError, TimeoutError, toAppError, withTimeout, type Logger } from '@chat/runtime';
import type { ClientEvent, GatewaySocket } from './types.js';

/** `expired` aborts when the ack deadline passed and the client was answered `unavailable`: a late success should undo what it can. */
export type EventHandler<E extends ClientEvent> = (socket: GatewaySocket, payload: unknown, expired: AbortSignal) => Promise<AckResult<E>>;

/** What every socket's event listeners of one gateway share. */
export interface AckContext {
  /** Lines name the socket and its user as fields (no logger per socket). */
  logger: Logger;
  /** Longest a handler may take; then the ack is `unavailable` and a late outcome is dropped. */
  ackTimeoutMs: number;
  /** Called with the outcome of every answered event (metrics). */
  onAnswered?: (event: ClientEvent, response: Ack, startedAt: bigint) => void;
  /** The gateway's unanswered events, which a stop lets finish. */
  answers: PendingAnswers;
}

/** A listener shared by every socket: Socket.IO calls it with the socket as `this`. */
export type SocketListener = (this: GatewaySocket, ...args: unknown[]) => void;

export interface EventListenerEntry {
  event: ClientEvent;
  listener: SocketListener;
}

/** Events being handled across a gateway's sockets, until their ack is written. */
export class PendingAnswers {
  private readonly pending = new Set<Promise<void>>();

  track(answering: Promise<void>): void {
    this.pending.add(answering);
    void answering.finally(() => this.pending.delete(answering));
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once every event being handled now has been answered (later ones are not waited for). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}

/**
 * The listener for `event`, made once per gateway and added to every socket (no
 * closures per socket). The one place that turns handler outcomes into acks:
 * `{ok: true, ...result}` or `{ok: false, error}`; nothing thrown escapes. Each
 * ack is answered once, by `ctx.ackTimeoutMs` at the latest (a Redis or
 * PostgreSQL that hangs rather than refuses). An event without an ack callback
 * is ignored: the contract requires one, and without it the client could learn
 * nothing of the outcome.
 */
export function eventListener<E extends ClientEvent>(ctx: AckContext, event: E, handler: EventHandler<E>): EventListenerEntry {
  // The listener takes the raw arguments: what a client sends is untrusted until parsed.
  function listener(this: GatewaySocket, ...args: unknown[]): void {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') {
      ctx.logger.debug({ ...socketFields(this), event }, 'event without an ack callback ignored');
      return;
    }
    const payload = args.length >= 2 ? args[0] : undefined;
    ctx.answers.track(answer(ctx, this, event, handler, args.length > 2 ? TOO_MANY_ARGUMENTS : payload, ack as (response: Ack) => void));
  }
  return { event, listener };
}

/** The fields that name a socket in a log line. */
export const socketFields = (socket: GatewaySocket): { socketId: string; userId: string } => ({ socketId: socket.id, userId: socket.data.user.id });

const TOO_MANY_ARGUMENTS = Symbol('too many arguments');

async function answer<E extends ClientEvent>(
  ctx: AckContext,
  socket: GatewaySocket,
  event: E,
  handler: EventHandler<E>,
  payload: unknown,
  ack: (response: Ack) => void,
): Promise<void> {
  const startedAt = process.hrtime.bigint();
  let response: Ack;
  try {
    if (payload === TOO_MANY_ARGUMENTS) throw AppError.validation('expected one payload object and an ack callback');
    const expiry = new AbortController();
    const work = handler(socket, payload, expiry.signal);
    const result = await withTimeout(work, ctx.ackTimeoutMs).catch((err: unknown) => {
      if (!(err instanceof TimeoutError)) throw err;
      expiry.abort();
      work.then(
        () => ctx.logger.warn({ ...socketFields(socket), event }, 'event finished after its deadline; its outcome was dropped'),
        (late: unknown) => ctx.logger.warn({ ...socketFields(socket), event, err: safeError(late) }, 'event failed after its deadline'),
      );
      throw new AppError('unavailable', 'the server did not answer in time; retry shortly');
    });
    response = { ok: true, ...result };
  } catch (err) {
    const appError = toAppError(err);
    if (appError.code === 'internal' || appError.code === 'unavailable') {
      ctx.logger.error({ ...socketFields(socket), event, code: appError.code, err: safeError(err) }, 'event failed');
    } else {
      ctx.logger.debug({ ...socketFields(socket), event, code: appError.code }, 'event refused');
    }
    response = { ok: false, error: toErrorBody(appError) };
  }
  try {
    ack(response);
  } catch (err) {
    ctx.logger.warn({ ...socketFields(socket), event, err: safeError(err) }, 'ack callback threw');
  }
  ctx.onAnswered?.(event, response, startedAt);
}
