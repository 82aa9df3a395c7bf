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
    probe(() => services.redis.ping(), timeoutMs),
    probe(() => services.orm.em.getKnex().raw('select 1'), timeoutMs),
  ]);
  return { redis, postgres };
}
