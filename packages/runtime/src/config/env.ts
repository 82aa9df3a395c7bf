import { z } from 'zod';

/** Thrown when the environment does not validate; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

const DURATION = /^(\d+)(ms|s|m|h|d)?$/;
const BYTE_SIZE = /^(\d+)(b|kb|mb)?$/i;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** Shared zod helpers for environment variables (every value arrives as a string). */
export const env = {
  port: (fallback: number) =>
    z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65_535).default(fallback),
  int: (fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number({ message: 'must be a number' }).int({ message: 'must be an integer' }).min(min).max(max).default(fallback),
  url: (protocols: string[], fallback?: string) => {
    const schema = z
      .string()
      .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), {
        message: `must be a URL (${protocols.join(' or ')})`,
      });
    return fallback === undefined ? schema : schema.default(fallback);
  },
  /** `90`, `90s`, `15m`, `1h`, `7d` → seconds. */
  seconds: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .refine((v) => DURATION.test(v), { message: 'must be a duration like 900, 15m, 1h or 7d' })
      .transform((v) => {
        const [, n, unit] = DURATION.exec(v) ?? [];
        return Math.max(1, Math.round(Number(n) * (UNIT_SECONDS[unit ?? 's'] ?? 1)));
      }),
  /** `65536`, `512b`, `16kb`, `1mb` (any letter case), at least one byte; kept as a size string. */
  byteSize: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .refine((v) => BYTE_SIZE.test(v) && Number(BYTE_SIZE.exec(v)?.[1]) > 0, {
        message: 'must be a size like 65536, 16kb or 1mb (a whole number, optionally b, kb or mb)',
      })
      .transform((v) => v.toLowerCase()),
  list: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  nodeEnv: () => z.enum(['development', 'test', 'production']).default('production'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  optionalString: () => z.string().optional().transform((v) => (v === '' ? undefined : v)),
  /** `host:port,host:port,…` (unset: none). */
  hostPorts: () =>
    z
      .string()
      .optional()
      // Empty counts as unset (compose passes `${REDIS_CLUSTER_NODES:-}`).
      .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean)))
      .refine((nodes) => nodes === undefined || (nodes.length > 0 && nodes.every((n) => /^(\[[0-9a-fA-F:]+\]|[^\s:]+):\d{1,5}$/.test(n) && Number(n.slice(n.lastIndexOf(':') + 1)) <= 65_535)), {
        message: 'must be host:port pairs separated by commas, e.g. redis-1:6379,redis-2:6379',
      }),
};

export interface SecretRule {
  /** The variable's name, e.g. `JWT_SECRET`. */
  name: string;
  /** Used only under NODE_ENV=development or test. */
  devDefault: string;
  minLength?: number;
}

/**
 * Validates `source` against `shape`. Empty strings count as unset. A secret has a
 * default only under NODE_ENV=development/test; elsewhere it must be set.
 */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  source: Env,
  secrets: SecretRule[] = [],
): z.output<z.ZodObject<S>> & Record<string, unknown> {
  const cleaned: Env = {};
  for (const [key, value] of Object.entries(source)) cleaned[key] = value === '' ? undefined : value;

  const problems: string[] = [];
  const nodeEnv = cleaned.NODE_ENV ?? 'production';
  const secretValues: Record<string, string> = {};
  for (const rule of secrets) {
    const value = cleaned[rule.name];
    const min = rule.minLength ?? 16;
    if (value === undefined) {
      if (nodeEnv === 'development' || nodeEnv === 'test') secretValues[rule.name] = rule.devDefault;
      else problems.push(`${rule.name}: required when NODE_ENV is ${nodeEnv}`);
    } else if (value.length < min) {
      problems.push(`${rule.name}: must be at least ${min} characters`);
    } else {
      secretValues[rule.name] = value;
    }
  }

  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push(`${issue.path.map(String).join('.') || '(environment)'}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return { ...result.data, ...secretValues };
}

/** Loads a config or stops the process with a message naming the bad variables. */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
