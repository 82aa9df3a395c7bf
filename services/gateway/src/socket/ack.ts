import { AppError, toErrorBody, type Ack, type AckResult } from '@chat/contract';
import { safeError, toAppError, type Logger } from '@chat/runtime';
import type { ClientEvent, GatewaySocket } from './types.js';

/** Set once the ack deadline passed and the client was answered `unavailable`: a late success should undo what it can. */
export interface Deadline {
  readonly expired: boolean;
}

export type EventHandler<E extends ClientEvent> = (socket: GatewaySocket, payload: unknown, deadline: Deadline) => Promise<AckResult<E>>;

/** What every socket's event listeners of one gateway share. */
export interface AckContext {
  /** Lines name the socket and its user as fields (no logger per socket). */
  logger: Logger;
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

interface Answering extends Deadline {
  expired: boolean;
  /** When the event came, ms on the monotonic clock. */
  readonly startedAt: number;
  /** Answers `unavailable` now; the handler's outcome, when it comes, is dropped. */
  readonly expire: () => void;
  readonly done: Promise<void>;
}

/**
 * Events being handled across a gateway's sockets, until their ack is written, and
 * their deadlines: one timer sweeps them all (events are kept in arrival order, so
 * the sweep stops at the first that still has time), rather than one per event.
 * An event is answered between `ackTimeoutMs` and `ackTimeoutMs` × 1.1 after it came.
 */
export class PendingAnswers {
  private readonly pending = new Set<Answering>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly ackTimeoutMs: number) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(10, Math.floor(ackTimeoutMs / 10)));
    this.sweeper.unref();
  }

  /** Tracks an event from now until `run` (its handling and answer) settles; `expire` is its deadline's action. */
  track(expire: () => void, run: (deadline: Deadline) => Promise<void>): void {
    const entry = { expired: false, startedAt: performance.now(), expire } as Answering;
    (entry as { done: Promise<void> }).done = run(entry).finally(() => this.pending.delete(entry));
    this.pending.add(entry);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once every event being handled now has been answered (later ones are not waited for). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending].map((p) => p.done));
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const due = performance.now() - this.ackTimeoutMs;
    for (const entry of this.pending) {
      if (entry.startedAt > due) break;
      if (entry.expired) continue;
      entry.expired = true;
      entry.expire();
    }
  }
}

/**
 * The listener for `event`, made once per gateway and added to every socket (no
 * closures per socket). The one place that turns handler outcomes into acks:
 * `{ok: true, ...result}` or `{ok: false, error}`; nothing thrown escapes. Each
 * ack is answered once, by the deadline of `ctx.answers` at the latest (a Redis or
 * PostgreSQL that hangs rather than refuses). An event without an ack callback is
 * not processed (the client could learn nothing of its outcome): the socket gets an
 * `error` event naming it instead.
 */
export function eventListener<E extends ClientEvent>(ctx: AckContext, event: E, handler: EventHandler<E>): EventListenerEntry {
  // The listener takes the raw arguments: what a client sends is untrusted until parsed.
  function listener(this: GatewaySocket, ...args: unknown[]): void {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') {
      ctx.logger.debug({ ...socketFields(this), event }, 'event without an ack callback refused');
      this.emit('error', { event, error: { code: 'validation', message: `${event} needs an acknowledgement callback; it was not processed` } });
      return;
    }
    const payload = args.length >= 2 ? args[0] : undefined;
    const respond = answerOnce(ctx, this, event, ack as (response: Ack) => void);
    ctx.answers.track(
      () => respond({ ok: false, error: { code: 'unavailable', message: 'the server did not answer in time; retry shortly' } }),
      (deadline) => answer(ctx, this, event, handler, args.length > 2 ? TOO_MANY_ARGUMENTS : payload, deadline, respond),
    );
  }
  return { event, listener };
}

/** The fields that name a socket in a log line. */
export const socketFields = (socket: GatewaySocket): { socketId: string; userId: string } => ({ socketId: socket.id, userId: socket.data.user.id });

const TOO_MANY_ARGUMENTS = Symbol('too many arguments');

/** Answers an event at most once (the deadline may have answered it); later calls return false. */
function answerOnce(ctx: AckContext, socket: GatewaySocket, event: ClientEvent, ack: (response: Ack) => void): (response: Ack) => boolean {
  const startedAt = process.hrtime.bigint();
  let answered = false;
  return (response) => {
    if (answered) return false;
    answered = true;
    try {
      ack(response);
    } catch (err) {
      ctx.logger.warn({ ...socketFields(socket), event, err: safeError(err) }, 'ack callback threw');
    }
    ctx.onAnswered?.(event, response, startedAt);
    return true;
  };
}

async function answer<E extends ClientEvent>(
  ctx: AckContext,
  socket: GatewaySocket,
  event: E,
  handler: EventHandler<E>,
  payload: unknown,
  deadline: Deadline,
  respond: (response: Ack) => boolean,
): Promise<void> {
  let response: Ack;
  try {
    if (payload === TOO_MANY_ARGUMENTS) throw AppError.validation('expected one payload object and an ack callback');
    response = { ok: true, ...(await handler(socket, payload, deadline)) };
  } catch (err) {
    const appError = toAppError(err);
    if (appError.code === 'internal' || appError.code === 'unavailable') {
      ctx.logger.error({ ...socketFields(socket), event, code: appError.code, err: safeError(err) }, 'event failed');
    } else {
      ctx.logger.debug({ ...socketFields(socket), event, code: appError.code }, 'event refused');
    }
    response = { ok: false, error: toErrorBody(appError) };
  }
  if (!respond(response)) {
    ctx.logger.warn({ ...socketFields(socket), event, ok: response.ok }, 'event finished after its deadline; its outcome was dropped');
  }
}
