/**
 * The testkit's environment, read in this one module (as each service reads its own in its config):
 * what child processes inherit, and the switches the suites set.
 */
export const testkitEnv = {
  /** This process's variables; services.ts passes on only the basic ones (PATH, HOME, LANG, …). */
  parent: (): Record<string, string | undefined> => process.env,
  /** Where child processes find their programs. */
  path: (): string => process.env.PATH ?? '',
  /** `CHAT_REDIS_SHARDS`: clusters run on a Redis Cluster of this many masters (the redis-cluster vitest project sets 3). */
  redisShards: (): number | undefined => Number(process.env.CHAT_REDIS_SHARDS) || undefined,
};
