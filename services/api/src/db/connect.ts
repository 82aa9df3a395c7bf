import { setTimeout as sleep } from 'node:timers/promises';
import { safeError, type Logger } from '@chat/runtime';
import { createOrm, type Orm, type OrmOptions } from '@chat/store';

export interface ConnectRetry {
  /** @default 15 */
  attempts?: number;
  /** @default 1000 */
  delayMs?: number;
}

/**
 * Creates the ORM, retrying while PostgreSQL is not up yet (containers start in
 * any order); after the last attempt the error goes to the caller.
 */
export async function connectOrm(options: OrmOptions, logger: Logger, retry: ConnectRetry = {}): Promise<Orm> {
  const { attempts = 15, delayMs = 1_000 } = retry;
  const log = logger.child({ module: 'db' });
  for (let attempt = 1; ; attempt++) {
    try {
      return await createOrm(options);
    } catch (err) {
      if (attempt >= attempts) throw err;
      log.warn({ attempt, err: safeError(err) }, 'PostgreSQL not reachable yet, retrying');
      await sleep(delayMs);
    }
  }
}
