import type { Logger } from '../logging/logger.js';
import { safeError } from '../errors/safe-error.js';
import { TimeoutError, withTimeout } from '../timeout.js';

export interface StopStep {
  name: string;
  run: () => Promise<unknown> | unknown;
}

/**
 * Runs a stop sequence in order. Each step gets `stepTimeoutMs`; a step that
 * fails or runs out of time is logged and the next one runs anyway, so one
 * stuck dependency cannot keep the rest from closing.
 */
export async function runStopSteps(steps: StopStep[], options: { logger: Logger; stepTimeoutMs: number }): Promise<void> {
  for (const step of steps) {
    try {
      await withTimeout(Promise.resolve().then(step.run), options.stepTimeoutMs);
    } catch (err) {
      if (err instanceof TimeoutError) options.logger.warn({ step: step.name }, 'stop step timed out');
      else options.logger.error({ step: step.name, err: safeError(err) }, 'stop step failed');
    }
  }
}

/** `fn` run at most once; later calls get the first call's promise (an idempotent `stop()`). */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => (running ??= fn());
}

export interface SignalOptions {
  logger: Logger;
  /** Exit with 1 if stopping takes longer than this. @default no limit */
  forceExitAfterMs?: number;
}

/**
 * SIGTERM and SIGINT run `stop` (once), then exit 0, or 1 if it threw. A process
 * that also crashes on an unhandled rejection in a background task would take
 * every connection of this replica with it: such rejections are logged instead.
 */
export function exitOnSignals(stop: (signal: string) => Promise<void>, options: SignalOptions): void {
  const { logger } = options;
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    logger.info({ signal }, 'stopping');
    if (options.forceExitAfterMs !== undefined) {
      setTimeout(() => {
        logger.error({ afterMs: options.forceExitAfterMs }, 'stopping took too long; exiting');
        process.exit(1);
      }, options.forceExitAfterMs).unref();
    }
    stopping = stop(signal).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: safeError(err) }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.on('unhandledRejection', (err) => logger.error({ err: safeError(err) }, 'unhandled rejection'));
}
