import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; idempotent. */
  stop(graceMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
}

const running = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test runner or `npm run up` dying must not leave servers behind.
  process.on('exit', () => {
    for (const p of running) p.child.kill('SIGKILL');
  });
}

export interface StartOptions extends SpawnOptions {
  /** Also append the output to this file. */
  logFile?: string;
  /** Echo output to this process's stdout with a `[name]` prefix. */
  echo?: boolean;
}

export function startProcess(name: string, command: string, args: string[], options: StartOptions = {}): ManagedProcess {
  installExitHook();
  const { logFile, echo, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
  const chunks: string[] = [];
  let size = 0;
  const file = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  const collect = (data: Buffer): void => {
    const text = data.toString();
    chunks.push(text);
    size += text.length;
    while (size > 1_000_000 && chunks.length > 1) size -= chunks.shift()!.length;
    file?.write(data);
    if (echo) process.stdout.write(text.replace(/^(?=.)/gm, `[${name}] `));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(managed);
      file?.end();
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      chunks.push(String(err));
      running.delete(managed);
      resolve('spawn-error');
    });
  });

  let stopping: Promise<void> | undefined;
  const managed: ManagedProcess = {
    name,
    child,
    exited,
    output: () => chunks.join(''),
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stop: (graceMs = 10_000) => {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
  running.add(managed);
  return managed;
}
