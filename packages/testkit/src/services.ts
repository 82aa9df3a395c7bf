import { join } from 'node:path';
import { freePort, waitFor, WaitAborted } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { repoRoot } from './nginx.js';

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
  /** Environment on top of the parent's; PORT is chosen when absent. */
  env: Record<string, string | undefined>;
  /** Label in logs, e.g. `gateway-1`. */
  label?: string;
  echo?: boolean;
  logFile?: string;
  /** Run the compiled `dist/main.js` instead of the TypeScript source. @default false */
  compiled?: boolean;
  /** @default 30000 */
  readyTimeoutMs?: number;
}

/** Starts `services/<name>` as its own process and waits for its /health. */
export async function startService(name: ServiceName, options: StartServiceOptions): Promise<RunningService> {
  const port = options.env.PORT ? Number(options.env.PORT) : await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...options.env, PORT: String(port) })) {
    if (v !== undefined) env[k] = v;
  }
  const dir = join(repoRoot, 'services', name);
  const args = options.compiled
    ? [join(dir, 'dist/main.js')]
    : ['--conditions=development', '--import', 'tsx', join(dir, 'src/main.ts')];
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
