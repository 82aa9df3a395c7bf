import type { ApiServices } from '../context.js';

export type CheckResult = 'ok' | 'down';

export interface DependencyChecks {
  redis: CheckResult;
  postgres: CheckResult;
}

/** Resolves `ok` if `probe` settles successfully within `timeoutMs`, else `down`; never hangs. */
async function probe(run: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve('down'), timeoutMs);
  });
  const attempt = run().then(
    (): CheckResult => 'ok',
    (): CheckResult => 'down',
  );
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkDependencies(services: ApiServices, timeoutMs: number): Promise<DependencyChecks> {
  const [redis, postgres] = await Promise.all([
    // A client that is reconnecting would only queue the PING: report it down at once.
    services.redis.status === 'ready' ? probe(() => services.redis.ping(), timeoutMs) : Promise.resolve<CheckResult>('down'),
    probe(() => services.orm.em.getKnex().raw('select 1'), timeoutMs),
  ]);
  return { redis, postgres };
}
