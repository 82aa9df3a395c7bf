import { join } from 'node:path';
import { freePort, waitFor, WaitAborted } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { repoRoot } from './nginx.js';
import { testkitEnv } from './testkit.config.js';

export type ServiceName = 'api' | 'gateway' | 'bot-worker';

export interface RunningService {
  name: string;
  port: number;
  url: string;
  env: Record<string, string>;
  process: ManagedProcess;
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as when a machine dies. */
  kill(): Promise<void>;
}

export interface StartServiceOptions {
  /**
   * The service's whole configuration: only these, a few defaults (NODE_ENV=test,
   * LOG_LEVEL=warn) and the parent's basic process variables (see
   * `serviceEnvironment`) reach the child. PORT is chosen when absent.
   */
  env: Record<string, string | undefined>;
  /** Label in logs, e.g. `gateway-1`. */
  label?: string;
  echo?: boolean;
  logFile?: string;
  /** Run the compiled `dist/main.js` instead of the TypeScript source. @default false */
  compiled?: boolean;
  /** Options for node itself, before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** @default 30000 */
  readyTimeoutMs?: number;
}

/**
 * What a process needs from its parent to run at all (paths, locale, time zone,
 * CA certificates), and nothing of its configuration.
 */
const INHERITED = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'TMPDIR', 'TMP', 'TEMP', 'TZ', 'LANG', 'LANGUAGE', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR']);
const isInherited = (name: string): boolean => INHERITED.has(name) || name.startsWith('LC_');

/**
 * A service's environment: from `parent` only the basic process variables
 * (PATH, HOME, TMPDIR, LANG, LC_*, TZ, …), never its configuration — a
 * developer's RATE_LIMIT_*, BODY_LIMIT, OPENAI_* or NODE_OPTIONS must not change
 * what a test runs — then NODE_ENV=test and LOG_LEVEL=warn, then `explicit`
 * (an undefined value removes the variable).
 */
export function serviceEnvironment(
  explicit: Record<string, string | undefined>,
  parent: Record<string, string | undefined> = testkitEnv.parent(),
): Record<string, string> {
  const merged: Record<string, string | undefined> = { NODE_ENV: 'test', LOG_LEVEL: 'warn', ...explicit };
  for (const [name, value] of Object.entries(parent)) if (isInherited(name) && !(name in explicit)) merged[name] = value;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(merged)) if (value !== undefined) env[name] = value;
  return env;
}

/** Starts `services/<name>` as its own process and waits for its /health. */
export async function startService(name: ServiceName, options: StartServiceOptions): Promise<RunningService> {
  const port = options.env.PORT ? Number(options.env.PORT) : await freePort();
  const env = serviceEnvironment({ ...options.env, PORT: String(port) });
  const dir = join(repoRoot, 'services', name);
  const args = [
    ...(options.nodeArgs ?? []),
    ...(options.compiled ? [join(dir, 'dist/main.js')] : ['--conditions=development', '--import', 'tsx', join(dir, 'src/main.ts')]),
  ];
  const label = options.label ?? name;
  const proc = startProcess(label, process.execPath, args, { env, cwd: dir, echo: options.echo, logFile: options.logFile });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `${label} /health`,
    async () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        throw new WaitAborted(`${label} exited before it was ready:\n${proc.output()}`);
      }
      const res = await fetch(`${url}/health`).catch(() => undefined);
      return res?.ok ?? false;
    },
    options.readyTimeoutMs ?? 30_000,
    100,
  ).catch((err: Error) => {
    proc.kill('SIGKILL');
    throw new Error(`${err.message}\n--- ${label} output ---\n${proc.output()}`);
  });
  return {
    name: label,
    port,
    url,
    env,
    process: proc,
    stop: (graceMs) => proc.stop(graceMs),
    kill: async () => {
      proc.kill('SIGKILL');
      await proc.exited;
    },
  };
}
